import ColonioCore

/// Where a seed keeps the nodes signed in to each network.
///
/// The in-memory ``InMemoryNetworkRegistry`` serves one seed; a shared implementation (e.g. over
/// PostgreSQL) would let several seeds serve one network. Implementations must keep networks
/// strictly apart: lookups never return a node of another network.
public protocol NetworkRegistry: Sendable {
    /// Registers a new node under a fresh random ID unique in `network`, and returns the ID with the
    /// registered nodes nearest it on the ring (up to `predecessors` before and `successors` after).
    func register(
        network: String, maximumNodes: Int, predecessors: Int, successors: Int, mailbox: SeedMailbox
    ) async throws(NetworkRegistryError) -> NodeRegistration

    /// Removes a node; unknown IDs are ignored.
    func unregister(network: String, nodeID: NodeID) async

    /// The mailbox of a node registered in `network`, or `nil`.
    func mailbox(network: String, nodeID: NodeID) async -> SeedMailbox?

    /// How many nodes are registered in `network`.
    func nodeCount(network: String) async -> Int
}

/// The result of ``NetworkRegistry/register(network:maximumNodes:predecessors:successors:mailbox:)``.
public struct NodeRegistration: Sendable, Equatable {
    /// The assigned ID.
    public var nodeID: NodeID
    /// Nearest registered nodes, nearest first alternating successor/predecessor; empty when alone.
    public var bootstrapPeers: [NodeID]

    /// Creates a registration.
    public init(nodeID: NodeID, bootstrapPeers: [NodeID]) {
        self.nodeID = nodeID
        self.bootstrapPeers = bootstrapPeers
    }
}

/// Why a node could not be registered.
public enum NetworkRegistryError: Error, Equatable {
    /// The network already holds its maximum number of nodes.
    case networkFull(limit: Int)
}
