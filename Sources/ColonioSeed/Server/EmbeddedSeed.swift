import ColonioTime
import Logging
import ServiceLifecycle

/// A seed running inside the current process: for tests, demos and single-machine setups.
///
/// ```swift
/// let seed = try await EmbeddedSeed.start(configuration: config)
/// // nodes connect to seed.url
/// await seed.stop()
/// ```
public final class EmbeddedSeed: Sendable {
    /// `ws://host:port` of the running seed (what nodes pass to `connect(seed:...)`); with TLS
    /// `wss://host:port`, where a loopback address is written `localhost` (a `wss://` URL needs a name).
    public let url: String
    /// The bound port (useful when the configuration asked for port 0).
    public let port: Int
    /// The server, for its signing key and registry.
    public let server: SeedServer
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(url: String, port: Int, server: SeedServer, group: ServiceGroup, task: Task<Void, any Error>) {
        self.url = url
        self.port = port
        self.server = server
        self.group = group
        self.task = task
    }

    /// Starts a seed with `configuration` (a fresh signing key unless one is given) and returns once it
    /// accepts connections. Its keepalive timeouts and certificate times follow `clock`. With `tls` (or
    /// `configuration.tls`) it serves `https://` and `wss://`.
    public static func start(
        configuration: SeedConfiguration, signingKey: SeedSigningKey = SeedSigningKey(),
        registry: InMemoryNetworkRegistry = InMemoryNetworkRegistry(), tls: SeedTLS? = nil,
        clock: ColonioClock = .system, logger: Logger
    ) async throws(EmbeddedSeedError) -> EmbeddedSeed {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = SeedServer(
            configuration: configuration, signingKey: signingKey, registry: registry, tls: tls, clock: clock,
            logger: logger, onListening: { port in portContinuation.yield(port) })
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logger)
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            let failure = await task.result
            if case .failure(let error) = failure { throw .failedToStart("\(error)") }
            throw .failedToStart("the server stopped before listening")
        }
        let secure = tls != nil || configuration.tls != nil
        var host = configuration.listen.host.contains(":") ? "[\(configuration.listen.host)]" : configuration.listen.host
        if secure, ["127.0.0.1", "[::1]"].contains(host) { host = "localhost" }
        return EmbeddedSeed(
            url: "\(secure ? "wss" : "ws")://\(host):\(port)", port: port, server: server, group: group, task: task)
    }

    /// Shuts the seed down gracefully (closing every connection) and waits until it has stopped.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = await task.result
    }
}

/// Why an embedded seed could not start.
public enum EmbeddedSeedError: Error, CustomStringConvertible {
    /// The server failed before listening, e.g. because the address is in use.
    case failedToStart(String)

    public var description: String {
        switch self {
        case .failedToStart(let why): "the embedded seed could not start: \(why); check the listen address and port"
        }
    }
}
