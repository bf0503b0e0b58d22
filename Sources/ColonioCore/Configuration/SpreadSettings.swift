/// Location-based pub/sub ("spread") parameters a network's seed hands to every node.
public struct SpreadSettings: Equatable, Sendable {
    /// Payloads larger than this are announced and fetched by the subscribers that want them, instead
    /// of being flooded with the message.
    public var inlinePayloadBytes: UInt32 = 4096
    /// How long a node remembers a message ID to drop duplicates.
    public var deduplicationMilliseconds: UInt32 = 60_000
    /// Largest published payload, in bytes.
    public var maximumPayloadBytes: UInt32 = 1024 * 1024

    /// The defaults.
    public init() {}
}

extension SpreadSettings: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: inlinePayloadBytes = try reader.readUInt32(field)
            case 2: deduplicationMilliseconds = try reader.readUInt32(field)
            case 3: maximumPayloadBytes = try reader.readUInt32(field)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: UInt64(inlinePayloadBytes))
        writer.write(field: 2, uint64: UInt64(deduplicationMilliseconds))
        writer.write(field: 3, uint64: UInt64(maximumPayloadBytes))
    }
}
