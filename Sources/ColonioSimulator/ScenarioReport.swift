/// What a ``SimulationScenario`` measured and checked.
public struct ScenarioReport: Sendable {
    /// One correctness check.
    public struct Check: Sendable {
        /// What was checked.
        public var name: String
        /// Whether it held.
        public var passed: Bool
        /// Figures behind the verdict.
        public var detail: String
    }

    /// Figures and checks of one stable state (the first one, or the one after churn).
    public struct Phase: Sendable {
        /// "initial" or "after churn".
        public var name: String
        /// Live nodes.
        public var nodes: Int
        /// Virtual milliseconds from the last join (or the churn) until the ring and the geo neighbours
        /// were exact; `nil` if that did not happen within the limit.
        public var convergedAfterMilliseconds: UInt64?
        /// Mean hops of the sampled requests that reached the right node.
        public var meanHops: Double
        /// Most hops of a sampled request.
        public var maximumHops: Int
        /// Open links per node, mean and maximum.
        public var meanLinks: Double
        public var maximumLinks: Int
        /// Geo neighbours per node, mean and maximum.
        public var meanGeoNeighbours: Double
        public var maximumGeoNeighbours: Int = 0
        /// Pub/sub deliveries checked, and how many were expected.
        public var spreadDelivered: Int
        public var spreadExpected: Int
        /// The checks, in order.
        public var checks: [Check]

        /// Whether every check passed.
        public var passed: Bool { checks.allSatisfy(\.passed) }
    }

    /// The phases, in order.
    public var phases: [Phase] = []
    /// Virtual time at the end, in milliseconds.
    public var virtualMilliseconds: UInt64 = 0
    /// Simulator events processed.
    public var events: UInt64 = 0
    /// Frames the transport carried.
    public var frames: UInt64 = 0
    /// Of those, pub/sub packets.
    public var spreadPackets: UInt64 = 0

    /// Whether every check of every phase passed.
    public var passed: Bool { phases.allSatisfy(\.passed) }
}
