import ColonioCore

/// A snapshot of a ``ColonioNode`` as ``ColonioNode/status()`` reports it.
public struct NodeStatus: Sendable, Equatable {
    /// This node's ID; `nil` while disconnected.
    public var nodeID: NodeID?
    /// The network's name; `nil` while disconnected.
    public var network: String?
    /// Whether the node is signed in (links may still be forming).
    public var isConnected: Bool
    /// Whether the seed connection is still open (a node keeps working over the overlay without it).
    public var isSeedConnected: Bool
    /// Whether the node has found its place on the ring (its successors are known).
    public var hasJoined: Bool
    /// This node's position in the coordinate space; `nil` until set while connected.
    public var position: Position?
    /// The nearest nodes after this one on the ring, nearest first.
    public var successors: [NodeID]
    /// The nearest nodes before this one on the ring, nearest first.
    public var predecessors: [NodeID]
    /// Authenticated links, the ones that carry overlay traffic.
    public var linkCount: Int
    /// Links still being set up (signaling, connecting, or waiting for the peer's certificate).
    public var pendingLinkCount: Int
    /// Requests waiting for their response.
    public var pendingRequestCount: Int
    /// Topics this node subscribes to, sorted.
    public var subscriptions: [String]
    /// The overlay's counters (frames, forwarded packets, drops).
    public var statistics: NodeMachine.Statistics

    /// The status of a node that is not connected.
    public static let disconnected = NodeStatus(
        nodeID: nil, network: nil, isConnected: false, isSeedConnected: false, hasJoined: false, position: nil,
        successors: [], predecessors: [], linkCount: 0, pendingLinkCount: 0, pendingRequestCount: 0,
        subscriptions: [], statistics: NodeMachine().statistics)

    /// Creates a status (the node creates them; public for tests and tools).
    public init(
        nodeID: NodeID?, network: String?, isConnected: Bool, isSeedConnected: Bool, hasJoined: Bool,
        position: Position?, successors: [NodeID], predecessors: [NodeID], linkCount: Int, pendingLinkCount: Int,
        pendingRequestCount: Int, subscriptions: [String], statistics: NodeMachine.Statistics
    ) {
        self.nodeID = nodeID
        self.network = network
        self.isConnected = isConnected
        self.isSeedConnected = isSeedConnected
        self.hasJoined = hasJoined
        self.position = position
        self.successors = successors
        self.predecessors = predecessors
        self.linkCount = linkCount
        self.pendingLinkCount = pendingLinkCount
        self.pendingRequestCount = pendingRequestCount
        self.subscriptions = subscriptions
        self.statistics = statistics
    }
}
