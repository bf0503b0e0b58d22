/// A value with a protobuf-wire-compatible encoding.
///
/// Conformers decode with a ``WireReader`` (skipping unknown fields, bounding every length) and encode
/// with a ``WireWriter``. Generic use only: Embedded Swift has no existentials of this protocol.
public protocol WireMessage {
    /// Decodes the message's fields from `reader` until it is exhausted.
    init(from reader: inout WireReader) throws(WireDecodingError)
    /// Appends the message's fields to `writer`.
    func encode(to writer: inout WireWriter)
}

extension WireMessage {
    /// Decodes a whole buffer as this message.
    public init(decoding bytes: [UInt8]) throws(WireDecodingError) {
        var reader = WireReader(bytes)
        try self.init(from: &reader)
    }

    /// The message's encoding as a fresh buffer.
    public func encoded() -> [UInt8] {
        var writer = WireWriter()
        encode(to: &writer)
        return writer.bytes
    }
}
