/// What a node tells a directly linked peer about the link and its view of the ring (body field 1).
///
/// Sent when a link opens, when the sender's need for the link changes, and periodically to ring
/// neighbours: the exchanged neighbour lists are how joins and crashes converge (stabilization).
/// Only nodes the sender currently has open links to are listed, so a crashed node stops being
/// advertised as soon as its links close.
public struct LinkState: Equatable, Sendable {
    /// Why the sender keeps the link.
    public var role: LinkRole
    /// The sender's linked successors, nearest first.
    public var successors: [NodeID]
    /// The sender's linked predecessors, nearest first.
    public var predecessors: [NodeID]
    /// The sender is closing the link (for example because it is at its link cap); do not reconnect soon.
    public var closing: Bool
    /// The sender is leaving the network for good (`disconnect()`): forget it at once, not as a crash.
    public var leaving: Bool

    /// The most IDs either list may hold on the wire.
    public static let maximumListCount = 16

    /// Creates a link state.
    public init(
        role: LinkRole, successors: [NodeID] = [], predecessors: [NodeID] = [], closing: Bool = false, leaving: Bool = false
    ) {
        self.role = role
        self.successors = successors
        self.predecessors = predecessors
        self.closing = closing
        self.leaving = leaving
    }
}

extension LinkState: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(role: .none)
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                let raw = try reader.readUInt32(field)
                guard raw <= UInt32(UInt8.max), let value = LinkRole(rawValue: UInt8(raw)) else {
                    throw .invalidValue(field: 1)
                }
                role = value
            case 2:
                guard successors.count < LinkState.maximumListCount else {
                    throw .countLimitExceeded(field: 2, limit: LinkState.maximumListCount)
                }
                successors.append(try reader.readNodeID(field))
            case 3:
                guard predecessors.count < LinkState.maximumListCount else {
                    throw .countLimitExceeded(field: 3, limit: LinkState.maximumListCount)
                }
                predecessors.append(try reader.readNodeID(field))
            case 4: closing = try reader.readBool(field)
            case 5: leaving = try reader.readBool(field)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        if role != .none { writer.write(field: 1, uint64: UInt64(role.rawValue)) }
        for id in successors { writer.write(field: 2, nodeID: id) }
        for id in predecessors { writer.write(field: 3, nodeID: id) }
        if closing { writer.write(field: 4, bool: true) }
        if leaving { writer.write(field: 5, bool: true) }
    }
}
