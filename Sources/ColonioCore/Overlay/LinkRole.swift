/// Why a node keeps a link, as it tells the peer on the other end.
///
/// Links needed by neither side are closed; when a node has more links than its cap it closes links
/// that only the peer uses as a long link before anything else, and never a ring-neighbour link.
public enum LinkRole: UInt8, Comparable, Equatable, Sendable {
    /// The sender does not need the link.
    case none = 0
    /// The sender uses the link as a long link (finger) or for another sub-protocol.
    case long = 1
    /// The peer is one of the sender's ring successors or predecessors.
    case neighbour = 2

    public static func < (lhs: LinkRole, rhs: LinkRole) -> Bool { lhs.rawValue < rhs.rawValue }
}
