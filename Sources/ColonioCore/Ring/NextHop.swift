/// Where a packet goes next, as the ring decides.
public enum NextHop: Equatable, Sendable {
    /// This node owns the destination ID.
    case local
    /// Forward over the link to this node.
    case forward(NodeID)
    /// The right next node is known but not linked yet (the ring is repairing); the packet cannot be
    /// delivered correctly now. Requests are retried by their sender.
    case unavailable
}
