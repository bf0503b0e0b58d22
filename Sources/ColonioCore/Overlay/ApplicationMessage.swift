/// An application message (body field 20): a one-way message, or a request when the envelope carries a
/// request ID. The receiving node hands it to the handler registered under ``name``.
public struct ApplicationMessage: Equatable, Sendable {
    /// The handler name the sender addressed.
    public var name: String
    /// The application's bytes.
    public var payload: [UInt8]

    /// Longest handler name, in UTF-8 bytes.
    public static let maximumNameBytes = 256

    /// Creates a message.
    public init(name: String, payload: [UInt8]) {
        self.name = name
        self.payload = payload
    }
}

extension ApplicationMessage: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(name: "", payload: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try reader.readString(field, limit: ApplicationMessage.maximumNameBytes)
            case 2: payload = try reader.readBytes(field, limit: OverlayPacket.maximumBodyBytes)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, string: name)
        if !payload.isEmpty { writer.write(field: 2, bytes: payload) }
    }
}
