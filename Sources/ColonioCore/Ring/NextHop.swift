/// Where a packet goes next, as the ring decides.
public enum NextHop: Equatable, Sendable {
    /// This node owns the destination ID.
    case local
    /// Forward over the link to this node.
    case forward(NodeID)
    /// The right next node is not linked yet (the node is still joining, or the ring is repairing); the
    /// packet cannot be delivered correctly now. The node machine holds it until a route appears.
    case unavailable
}
