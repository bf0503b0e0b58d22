import ColonioCore

/// Where a seed keeps the nodes signed in to each network.
///
/// The in-memory ``InMemoryNetworkRegistry`` serves one seed; a shared implementation (the
/// `ColonioSeedPostgres` module's PostgreSQL registry) lets several seeds serve one network.
/// Implementations must keep networks strictly apart: lookups never return a node of another network.
public protocol NetworkRegistry: Sendable {
    /// Registers a node and returns its ID with the registered nodes nearest it on the ring (up to
    /// `predecessors` before and `successors` after).
    ///
    /// With `nodeID` `nil` the node gets a fresh random ID unique in `network`. Otherwise (a resumed
    /// sign-in, already verified by the seed) it is registered under `nodeID`, displacing an earlier
    /// registration of that ID whose connection has not closed yet.
    func register(
        network: String, nodeID: NodeID?, maximumNodes: Int, predecessors: Int, successors: Int, mailbox: SeedMailbox
    ) async throws(NetworkRegistryError) -> NodeRegistration

    /// Removes `nodeID` if `mailbox` still holds it (a displaced connection's late unregistration
    /// must not remove the node's newer one); anything else is ignored.
    func unregister(network: String, nodeID: NodeID, mailbox: SeedMailbox) async

    /// The registered nodes nearest `nodeID` on the ring, without it, ordered as
    /// ``NodeRegistration/bootstrapPeers``.
    func nearest(network: String, to nodeID: NodeID, predecessors: Int, successors: Int) async -> [NodeID]

    /// The mailbox of a node registered in `network`, or `nil`.
    func mailbox(network: String, nodeID: NodeID) async -> SeedMailbox?

    /// How many nodes are registered in `network`.
    func nodeCount(network: String) async -> Int

    /// Delivers `frame` (an encoded `relayedSignal`) to node `to` of `network`, wherever its connection
    /// is. A shared registry forwards it to the seed that holds the node; the default delivers to the
    /// local ``mailbox(network:nodeID:)``. Signals from one node must arrive in the order relayed.
    func relay(network: String, to: NodeID, frame: [UInt8]) async -> SignalDelivery
}

extension NetworkRegistry {
    public func relay(network: String, to: NodeID, frame: [UInt8]) async -> SignalDelivery {
        guard let mailbox = await mailbox(network: network, nodeID: to) else { return .unknownPeer }
        return mailbox.deliver(frame) ? .delivered : .notReading
    }
}

/// What became of a relayed signal.
public enum SignalDelivery: Sendable, Equatable {
    /// Written to the destination's connection (or handed to the seed holding it).
    case delivered
    /// No node of that ID is registered in the network.
    case unknownPeer
    /// The destination does not read its connection; the signal was dropped.
    case notReading
    /// The registry could not be reached; `reason` says why.
    case registryUnavailable(reason: String)
}

/// The result of ``NetworkRegistry/register(network:nodeID:maximumNodes:predecessors:successors:mailbox:)``.
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
    /// A shared registry (its database) could not be reached or answered with an error; `reason`
    /// says which. The node may retry shortly: the seed reconnects by itself.
    case unavailable(reason: String)
}
