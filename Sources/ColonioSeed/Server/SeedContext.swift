import ColonioCore
import ColonioTime
import Logging

/// What every connection of one seed shares: configuration, key, registry, metrics and clocks.
final class SeedContext: Sendable {
    let configuration: SeedConfiguration
    let networks: [String: NetworkDefinition]
    let signingKey: SeedSigningKey
    let registry: any NetworkRegistry
    /// `registry` when it answers without suspending, so connections can call it on their event loop.
    let synchronousRegistry: (any SynchronousNetworkRegistry)?
    let metrics: SeedMetrics
    let connections: ConnectionSet
    /// The browser node's files, read once when the seed starts; `nil` when none are served.
    let webFiles: SeedWebFiles?
    let failedSignIns: FailedSignInLimiter
    let refusalLog: RefusalLog
    let logger: Logger
    /// Keepalive timeouts, rate limits, certificate and TURN credential times.
    let clock: ColonioClock

    init(
        configuration: SeedConfiguration, signingKey: SeedSigningKey, registry: any NetworkRegistry,
        metrics: SeedMetrics, clock: ColonioClock, logger: Logger
    ) {
        let limits = configuration.limits
        self.configuration = configuration
        self.networks = Dictionary(configuration.networks.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.signingKey = signingKey
        self.registry = registry
        self.synchronousRegistry = registry as? any SynchronousNetworkRegistry
        self.metrics = metrics
        self.connections = ConnectionSet(
            maximumConnections: DescriptorLimit.connectionsAllowed(configured: limits.maximumConnections),
            maximumPerAddress: limits.maximumConnectionsPerAddress)
        self.webFiles = configuration.webDirectory.map { SeedWebFiles(directory: $0) }
        self.failedSignIns = FailedSignInLimiter(perMinute: limits.failedSignInsPerMinutePerAddress)
        self.refusalLog = RefusalLog(
            linesPerSecond: limits.refusalLogLinesPerSecond, now: Int64(clamping: clock.elapsedMilliseconds()))
        self.logger = logger
        self.clock = clock
    }

    /// Monotonic milliseconds since the seed started.
    func now() -> Int64 {
        Int64(clamping: clock.elapsedMilliseconds())
    }

    /// Wall-clock Unix seconds, for certificate and TURN credential expiry.
    func unixSeconds() -> UInt64 {
        clock.unixSeconds()
    }

    /// `network`'s ICE servers as handed to `nodeID` now: time-limited TURN credentials derived afresh.
    func iceServers(of network: NetworkDefinition, for nodeID: NodeID) -> [ICEServerConfiguration] {
        let now = unixSeconds()
        return network.iceServers.map { $0.resolved(for: nodeID, nowUnixSeconds: now) }
    }

    /// A signed certificate for `nodeID` valid for the configured lifetime from now.
    func certificate(network: String, nodeID: NodeID, publicKey: [UInt8]) -> NodeCertificate {
        let expiry = unixSeconds() + UInt64(configuration.limits.certificateLifetimeSeconds)
        return signingKey.sign(NodeCertificate(network: network, nodeID: nodeID, publicKey: publicKey, expiry: expiry))
    }

    /// Logs a refusal (rate-limited seed-wide; see ``RefusalLog``).
    func logRefusal(
        _ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata = [:],
        logger: Logger? = nil
    ) {
        refusalLog.notice(message(), metadata: metadata(), logger: logger ?? self.logger, now: now())
    }
}
