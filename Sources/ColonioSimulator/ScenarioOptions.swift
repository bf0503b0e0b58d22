import ColonioCore

/// What `colonio simulate` runs: a network size, a space, faults, and how much to check.
public struct ScenarioOptions: Sendable {
    /// Nodes in the network.
    public var nodeCount: Int
    /// The pub/sub coordinate space.
    public var space: CoordinateSpace
    /// Seeds every random choice.
    public var seed: UInt64
    /// Fraction of nodes that crash, replaced by as many new nodes, after the first round of checks (0: none).
    public var churnFraction: Double = 0
    /// Fraction of the first nodes placed on points they share with others (``SharedPositions``); pub/sub
    /// circles then include each shared point, tightly (radius 0) and with some room.
    public var sharedPositionFraction: Double = 0
    /// Fraction of frames the transport drops.
    public var lossRate: Double = 0
    /// Nodes joining per virtual second.
    public var joinRate = 1_000
    /// Requests sampled to check routing (half to exact IDs, half to owners of random keys).
    public var routingSamples = 400
    /// Pub/sub circles published and checked.
    public var circles = 20
    /// KVS keys written and read back.
    public var kvsKeys = 40
    /// Whether nodes find their geo neighbours from their ring neighbours, as the node shell does, instead
    /// of being introduced to their Delaunay neighbours by the simulated seed (faster to simulate).
    public var geoContactsFromRing = false
    /// Longest virtual time to wait for convergence, in milliseconds.
    public var convergenceLimitMilliseconds: UInt64 = 300_000
    /// Topic every node subscribes to.
    public static let topic = "simulate"

    /// Creates options.
    public init(nodeCount: Int, space: CoordinateSpace, seed: UInt64) {
        self.nodeCount = nodeCount
        self.space = space
        self.seed = seed
    }

    /// The conventional space of each name: a 1000 x 1000 plane or torus, or the Earth.
    public static func space(named name: String) -> CoordinateSpace? {
        switch name {
        case "plane": .plane(width: 1_000, height: 1_000)
        case "torus": .torus(width: 1_000, height: 1_000)
        case "sphere": .sphere(radius: 6_371_000)
        default: nil
        }
    }
}
