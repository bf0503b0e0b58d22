/// Identifies one published spread message network-wide: the publisher's node ID and its sequence number.
///
/// Unique without randomness because node IDs are unique and a node numbers its publications.
public struct SpreadMessageID: Hashable, Sendable, CustomStringConvertible {
    /// The publisher.
    public var origin: NodeID
    /// The publisher's counter.
    public var sequence: UInt64

    /// Creates an ID.
    public init(origin: NodeID, sequence: UInt64) {
        self.origin = origin
        self.sequence = sequence
    }

    public var description: String { "\(origin.hex)/\(sequence)" }
}

extension SpreadMessageID: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var origin: NodeID?
        var sequence: UInt64 = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: origin = try reader.readNodeID(field)
            case 2: sequence = try reader.readUInt64(field)
            default: try reader.skip(field)
            }
        }
        guard let origin else { throw .missingField(1) }
        self.init(origin: origin, sequence: sequence)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: origin)
        writer.write(field: 2, uint64: sequence)
    }
}
