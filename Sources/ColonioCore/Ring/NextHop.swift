/// Where a packet goes next, as the ring decides.
public enum NextHop: Equatable, Sendable {
    /// This node owns the destination ID.
    case local
    /// Forward over the link to this node.
    case forward(NodeID)
    /// The right next node is known but not linked yet (the ring is repairing); the packet cannot be
    /// delivered correctly now. The node machine holds the packets it originates until a route appears
    /// and drops those it forwards (their senders retry).
    case unavailable
}
