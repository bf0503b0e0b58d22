/// Where an application or sub-protocol sends a message.
public enum Destination: Equatable, Sendable {
    /// The node with exactly this ID; fails as unreachable if it is not on the ring.
    case node(NodeID)
    /// The node responsible for this ID (the greatest node ID less than or equal to it, wrapping).
    case ownerOf(NodeID)
    /// A directly linked node; never forwarded.
    case neighbour(NodeID)
}
