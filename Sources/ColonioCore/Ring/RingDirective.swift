/// What the ring asks its owner (the ``NodeMachine``) to do.
public enum RingDirective: Equatable, Sendable {
    /// Open a link to this node.
    case connect(NodeID)
    /// Close (or stop opening) the link to this node.
    case disconnect(NodeID)
    /// Send this link state to the directly linked node.
    case sendLinkState(LinkState, to: NodeID)
    /// Find the owner of this ID through the overlay and report it with
    /// ``RingInstance/ownerFound(for:reply:now:)`` (or ``RingInstance/ownerLookupFailed(for:now:)``).
    case lookupOwner(of: NodeID)
    /// The successor or predecessor list changed (sub-protocols that place data on the ring care).
    case neighboursChanged
    /// A link this node asked for could not be opened: the node has probably left the network.
    case unreachable(NodeID)
}
