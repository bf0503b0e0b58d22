import ColonioTime
import ColonioWebRTC
import CoreMetrics

/// How a ``ColonioNode`` connects; the defaults suit production use.
public struct ColonioNodeOptions: Sendable {
    /// Restrict WebRTC to loopback addresses (tests and single-machine demos).
    public var loopbackOnly: Bool
    /// Interfaces WebRTC may use (`nil`: all). Ignored when ``loopbackOnly`` is set.
    public var allowedInterfaces: [String]?
    /// How often the node's protocol timers run. Shorter reacts faster to failures, costs more CPU.
    public var tickInterval: Duration
    /// The links' transport; `nil`: WebRTC. `ColonioTesting` sets an in-memory one (`inMemoryLinks`).
    package var linkTransport: (any LinkTransport)?
    /// Where the node's `colonio_node_*` metrics go; `nil`: the factory `MetricsSystem` was bootstrapped
    /// with by the application (none by default: the library never bootstraps one).
    public var metricsFactory: (any MetricsFactory)?
    /// The first wait before reconnecting to a lost seed, and before asking the seed for peers once the
    /// node has no link; each fruitless try doubles it, up to ``maximumRetryDelay``.
    public var retryDelay: Duration
    /// The longest wait between such tries.
    public var maximumRetryDelay: Duration
    /// The clock of the node's timers and certificate times; tests hand in a manual one.
    public var clock: ColonioClock
    /// A PEM file of certificate authorities trusted for `wss://` seeds besides the system's roots (a
    /// seed whose certificate comes from an authority of your own); `nil`: the system's roots only.
    public var seedCAFile: String?

    /// Creates options.
    public init(
        loopbackOnly: Bool = false, allowedInterfaces: [String]? = nil, tickInterval: Duration = .milliseconds(100),
        metricsFactory: (any MetricsFactory)? = nil,
        retryDelay: Duration = .seconds(1), maximumRetryDelay: Duration = .seconds(30),
        clock: ColonioClock = .system, seedCAFile: String? = nil
    ) {
        self.loopbackOnly = loopbackOnly
        self.allowedInterfaces = allowedInterfaces
        self.tickInterval = tickInterval
        self.metricsFactory = metricsFactory
        self.retryDelay = retryDelay
        self.maximumRetryDelay = max(retryDelay, maximumRetryDelay)
        self.clock = clock
        self.seedCAFile = seedCAFile
    }

    /// The options of the node's seed connections.
    var seedClientOptions: SeedClient.Options {
        SeedClient.Options(clock: clock, trustedCAFile: seedCAFile)
    }
}
