/// An error the seed reports to a client; the connection stays open unless the seed closes it.
public struct SeedErrorMessage: Equatable, Sendable {
    /// What went wrong, as a stable code.
    public var code: SeedErrorCode
    /// A human-readable explanation telling the user what to do.
    public var message: String
    /// For a refused signal: the destination it was addressed to.
    public var peer: NodeID?
    /// For a refused signal: its session ID.
    public var sessionID: UInt64?

    /// Creates an error message.
    public init(code: SeedErrorCode, message: String, peer: NodeID? = nil, sessionID: UInt64? = nil) {
        self.code = code
        self.message = message
        self.peer = peer
        self.sessionID = sessionID
    }
}

extension SeedErrorMessage: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(code: SeedErrorCode(rawValue: 0), message: "")
        while let field = try reader.nextField() {
            switch field.number {
            case 1: code = SeedErrorCode(rawValue: try reader.readUInt32(field))
            case 2: message = try reader.readString(field, limit: SeedLimits.errorMessageBytes)
            case 3: peer = try reader.readNodeID(field)
            case 4: sessionID = try reader.readUInt64(field)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: UInt64(code.rawValue))
        writer.write(field: 2, string: message)
        if let peer { writer.write(field: 3, nodeID: peer) }
        if let sessionID { writer.write(field: 4, uint64: sessionID) }
    }
}
