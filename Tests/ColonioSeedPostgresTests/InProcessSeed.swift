import ColonioSeed
import ColonioSeedPostgres
import ColonioTesting
import Logging
import ServiceLifecycle

/// A seed in this process with a ``PostgresNetworkRegistry``: the server and registry run in one
/// service group, as `colonio seed` runs them.
final class InProcessSeed: Sendable {
    let url: String
    let registry: PostgresNetworkRegistry
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static let logger: Logger = {
        var logger = Logger(label: "colonio.seed.postgres-test")
        logger.logLevel = .error
        return logger
    }()

    static func configuration(maximumNodes: Int = 10_000) -> SeedConfiguration {
        var network = NetworkDefinition(name: "alpha", tokens: ["alpha-token"])
        network.maximumNodes = maximumNodes
        return SeedConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "",
            limits: SeedLimitsConfiguration(framesPerSecond: 5_000), networks: [network])
    }

    private init(url: String, registry: PostgresNetworkRegistry, group: ServiceGroup, task: Task<Void, any Error>) {
        self.url = url
        self.registry = registry
        self.group = group
        self.task = task
    }

    /// Starts a seed on `postgres` with `signingKey` (shared by the seeds of one deployment) and
    /// returns once it listens and its registry is connected.
    static func start(
        postgres: String, signingKey: SeedSigningKey, configuration: SeedConfiguration = configuration()
    ) async throws -> InProcessSeed {
        let registry = try PostgresNetworkRegistry(
            settings: PostgresRegistrySettings(url: postgres, seedTimeoutSeconds: 3), logger: logger)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = SeedServer(
            configuration: configuration, signingKey: signingKey, registry: registry, logger: logger,
            onListening: { portContinuation.yield($0) })
        let group = ServiceGroup(services: [registry, server], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ExternalCommandError("the seed did not start") }
        let seed = InProcessSeed(url: "ws://127.0.0.1:\(port)", registry: registry, group: group, task: task)
        guard await eventually(timeout: .seconds(15), { registry.isAvailable }) else {
            await seed.stop()
            throw ExternalCommandError("the seed's registry did not connect to \(postgres)")
        }
        return seed
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}
