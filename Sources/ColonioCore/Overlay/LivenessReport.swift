/// A linked peer's answer to "when did you last hear from `subject`?" (body field 6), the indirect probe
/// of a suspected peer (see ``LinkLiveness``): a node that still hears from the subject vouches for it,
/// so a slow or lossy link between two live nodes is not taken for a crash.
public struct LivenessReport: Equatable, Sendable {
    /// The node asked about.
    public var subject: NodeID
    /// How long ago the sender last received a frame from `subject`; `nil` when it has no link to it.
    public var heardMillisecondsAgo: UInt32?

    /// Creates a report.
    public init(subject: NodeID, heardMillisecondsAgo: UInt32?) {
        self.subject = subject
        self.heardMillisecondsAgo = heardMillisecondsAgo
    }
}

extension LivenessReport: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var subject: NodeID?
        var heard: UInt32?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: subject = try reader.readNodeID(field)
            case 2: heard = try reader.readUInt32(field)
            default: try reader.skip(field)
            }
        }
        guard let subject else { throw .missingField(1) }
        self.init(subject: subject, heardMillisecondsAgo: heard)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: subject)
        // Present (even as 0) only when the sender has a link: proto3 would drop a plain zero.
        if let heardMillisecondsAgo { writer.write(field: 2, uint64: UInt64(heardMillisecondsAgo)) }
    }
}

/// Asks a linked peer when it last heard from `subject` (body field 5); answered with a ``LivenessReport``.
public struct LivenessQuery: Equatable, Sendable {
    /// The suspected node.
    public var subject: NodeID

    /// Creates a query.
    public init(subject: NodeID) { self.subject = subject }
}

extension LivenessQuery: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var subject: NodeID?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: subject = try reader.readNodeID(field)
            default: try reader.skip(field)
            }
        }
        guard let subject else { throw .missingField(1) }
        self.init(subject: subject)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: subject)
    }
}
