/// How a packet's destination ID is interpreted.
public enum RoutingMode: UInt8, Equatable, Sendable {
    /// Deliver to the node whose ID is exactly the destination; fails as unreachable if no such node
    /// is on the ring.
    case toNode = 0
    /// Deliver to the node responsible for the destination ID: the node with the greatest ID that is
    /// less than or equal to it, wrapping around the ring (as in the original Colonio).
    case toOwnerOf = 1
    /// Deliver to the directly linked node with that ID; never forwarded.
    case toNeighbour = 2
}
