/// Why bytes could not be decoded as a Colonio message.
///
/// Every decoder in ``ColonioCore`` throws this type, so a malformed or hostile packet becomes a value
/// the caller can log and drop, never a crash.
public enum WireDecodingError: Error, Equatable, Sendable {
    /// The input ended inside a field.
    case truncated
    /// A varint ran past 10 bytes or past 64 bits.
    case malformedVarint
    /// A field used a wire type Colonio does not accept (groups, or values 6 and 7).
    case unsupportedWireType(UInt8)
    /// A field number was 0 or above the protobuf maximum.
    case invalidFieldNumber(UInt64)
    /// A length prefix exceeded the limit the decoder was given.
    case lengthLimitExceeded(length: UInt64, limit: Int)
    /// A repeated field held more elements than the decoder allows.
    case countLimitExceeded(field: UInt32, limit: Int)
    /// Nested messages went deeper than the decoder allows.
    case nestingTooDeep
    /// A field the message requires was absent.
    case missingField(UInt32)
    /// A field was present but its value is not valid for that field.
    case invalidValue(field: UInt32)
    /// A field arrived with a different wire type than its schema says.
    case wireTypeMismatch(field: UInt32)
}
