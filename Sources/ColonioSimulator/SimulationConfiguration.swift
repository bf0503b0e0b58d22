import ColonioCore

/// How a ``Simulation`` behaves: the network's settings and the simulated transport's properties.
public struct SimulationConfiguration: Sendable {
    /// The routing settings every node uses.
    public var settings: RoutingSettings
    /// Seeds every random choice (IDs, latencies, losses, tick phases): one number reproduces a run.
    public var seed: UInt64
    /// One-way frame latency is drawn uniformly from this range, in milliseconds.
    public var latencyMilliseconds: ClosedRange<UInt64>
    /// Probability that a frame is lost (0 for none).
    public var lossRate: Double
    /// Time from a connect directive to the link opening, in milliseconds.
    public var connectDelayMilliseconds: UInt64
    /// Time until the peers of a crashed node see its links close, in milliseconds.
    public var failureDetectionMilliseconds: UInt64
    /// How often every node's `tick` runs, in milliseconds.
    public var tickIntervalMilliseconds: UInt64
    /// How many nodes on each side of a new node's ID the simulated seed offers as bootstrap peers.
    public var bootstrapPeersPerSide: Int
    /// Whether the simulated seed offers random live nodes instead of the nearest ones (a stale or
    /// careless seed); joining must still find the node's place on the ring.
    public var randomBootstrapPeers = false
    /// The coordinate space of location pub/sub; `nil`: nodes run no ``GeoInstance``.
    public var space: CoordinateSpace?
    /// Whether ring neighbours and bootstrap peers become geo contacts, as in the node shell. Without,
    /// nodes find their geo neighbours only through ``Simulation/introduceGeoNeighbours()``.
    public var geoContactsFromRing = true
    /// Pub/sub parameters when ``space`` is set.
    public var spreadSettings = SpreadSettings()
    /// KVS timers of every node's ``KVSInstance``.
    public var kvsTiming = KVSTiming()

    /// Creates a configuration; the defaults model a quiet network with fast failure detection.
    public init(
        settings: RoutingSettings = RoutingSettings(), seed: UInt64 = 1, latencyMilliseconds: ClosedRange<UInt64> = 5...30,
        lossRate: Double = 0, connectDelayMilliseconds: UInt64 = 60, failureDetectionMilliseconds: UInt64 = 3_000,
        tickIntervalMilliseconds: UInt64 = 250, bootstrapPeersPerSide: Int = 2
    ) {
        self.settings = settings
        self.seed = seed
        self.latencyMilliseconds = latencyMilliseconds
        self.lossRate = lossRate
        self.connectDelayMilliseconds = connectDelayMilliseconds
        self.failureDetectionMilliseconds = failureDetectionMilliseconds
        self.tickIntervalMilliseconds = tickIntervalMilliseconds
        self.bootstrapPeersPerSide = bootstrapPeersPerSide
    }
}
