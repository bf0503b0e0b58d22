/// A Paxos ballot: a counter made unique by the proposing node's ID, ordered by counter, then node.
public struct KVSBallot: Hashable, Comparable, Sendable {
    /// Raised past every counter the proposer has seen for the key.
    public var counter: UInt64
    /// The proposer; ties on the counter are broken by ID so no two proposers share a ballot.
    public var node: NodeID

    /// Creates a ballot.
    public init(counter: UInt64, node: NodeID) {
        self.counter = counter
        self.node = node
    }

    /// The ballot below every real one: the state of a register nothing was accepted into.
    public static let zero = KVSBallot(counter: 0, node: .zero)

    public static func < (lhs: KVSBallot, rhs: KVSBallot) -> Bool {
        (lhs.counter, lhs.node) < (rhs.counter, rhs.node)
    }
}

extension KVSBallot: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self = .zero
        while let field = try reader.nextField() {
            switch field.number {
            case 1: counter = try reader.readUInt64(field)
            case 2: node = try reader.readNodeID(field)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: counter)
        writer.write(field: 2, nodeID: node)
    }
}
