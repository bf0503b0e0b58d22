/// The answer to an owner query (body field 3): who owns the queried ID, and that node's neighbours,
/// so a joining node learns its place on the ring in one round trip.
public struct OwnerReply: Equatable, Sendable {
    /// The node that owns the queried ID (the one that answers).
    public var owner: NodeID
    /// The owner's linked successors, nearest first.
    public var successors: [NodeID]
    /// The owner's linked predecessors, nearest first.
    public var predecessors: [NodeID]

    /// Creates a reply.
    public init(owner: NodeID, successors: [NodeID] = [], predecessors: [NodeID] = []) {
        self.owner = owner
        self.successors = successors
        self.predecessors = predecessors
    }
}

extension OwnerReply: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var owner: NodeID?
        var successors: [NodeID] = []
        var predecessors: [NodeID] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: owner = try reader.readNodeID(field)
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
            default: try reader.skip(field)
            }
        }
        guard let owner else { throw .missingField(1) }
        self.init(owner: owner, successors: successors, predecessors: predecessors)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: owner)
        for id in successors { writer.write(field: 2, nodeID: id) }
        for id in predecessors { writer.write(field: 3, nodeID: id) }
    }
}
