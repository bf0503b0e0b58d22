/// Reads protobuf-wire-compatible fields from a byte buffer with every length bounded.
///
/// Typical use in a message decoder:
/// ```swift
/// var reader = WireReader(bytes)
/// while let field = try reader.nextField() {
///     switch field.number {
///     case 1: name = try reader.readString(field, limit: 256)
///     default: try reader.skip(field)
///     }
/// }
/// ```
public struct WireReader: Sendable {
    /// One field's key as read from the input.
    public struct Field: Sendable, Equatable {
        /// The field number from the schema.
        public var number: UInt32
        /// How the field's value is encoded.
        public var type: WireType
    }

    private let bytes: [UInt8]
    private var position: Int
    private let end: Int
    /// How many nested readers lie above this one; bounded by ``maximumNesting``.
    public let depth: Int

    /// Nested messages deeper than this are rejected, so hostile input cannot exhaust the stack.
    public static let maximumNesting = 16

    /// Creates a reader over a whole buffer.
    public init(_ bytes: [UInt8]) {
        self.init(bytes: bytes, start: 0, end: bytes.count, depth: 0)
    }

    private init(bytes: [UInt8], start: Int, end: Int, depth: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
        self.depth = depth
    }

    /// Whether every byte has been consumed.
    public var isAtEnd: Bool { position >= end }

    /// Reads the next field key, or returns `nil` at the end of the input.
    public mutating func nextField() throws(WireDecodingError) -> Field? {
        if isAtEnd { return nil }
        let key = try readVarint()
        let number = key >> 3
        guard number > 0, number <= 0x1FFF_FFFF else { throw .invalidFieldNumber(number) }
        let rawType = UInt8(truncatingIfNeeded: key & 7)
        guard let type = WireType(rawValue: rawType) else { throw .unsupportedWireType(rawType) }
        return Field(number: UInt32(number), type: type)
    }

    /// Reads a base-128 varint of at most 64 bits.
    public mutating func readVarint() throws(WireDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else { throw .truncated }
            let byte = bytes[position]
            position += 1
            if shift == 63 && byte > 1 { throw .malformedVarint }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw .malformedVarint }
        }
    }

    /// Skips the value of a field this decoder does not know (forward compatibility).
    public mutating func skip(_ field: Field) throws(WireDecodingError) {
        switch field.type {
        case .varint: _ = try readVarint()
        case .fixed64: try advance(by: 8)
        case .fixed32: try advance(by: 4)
        case .lengthDelimited:
            let length = try readVarint()
            guard length <= UInt64(end - position) else { throw .truncated }
            try advance(by: Int(length))
        }
    }

    /// Reads an unsigned integer field.
    public mutating func readUInt64(_ field: Field) throws(WireDecodingError) -> UInt64 {
        try expect(field, .varint)
        return try readVarint()
    }

    /// Reads an unsigned integer field that must fit `UInt32`.
    public mutating func readUInt32(_ field: Field) throws(WireDecodingError) -> UInt32 {
        let value = try readUInt64(field)
        guard value <= UInt64(UInt32.max) else { throw .invalidValue(field: field.number) }
        return UInt32(value)
    }

    /// Reads a zig-zag encoded signed integer field.
    public mutating func readSInt64(_ field: Field) throws(WireDecodingError) -> Int64 {
        let raw = try readUInt64(field)
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// Reads a boolean field (any non-zero varint is `true`, as in protobuf).
    public mutating func readBool(_ field: Field) throws(WireDecodingError) -> Bool {
        try readUInt64(field) != 0
    }

    /// Reads a `fixed64` field.
    public mutating func readFixed64(_ field: Field) throws(WireDecodingError) -> UInt64 {
        try expect(field, .fixed64)
        guard end - position >= 8 else { throw .truncated }
        var value: UInt64 = 0
        for index in 0..<8 {
            value |= UInt64(bytes[position + index]) << (UInt64(index) * 8)
        }
        position += 8
        return value
    }

    /// Reads a `double` field.
    public mutating func readDouble(_ field: Field) throws(WireDecodingError) -> Double {
        Double(bitPattern: try readFixed64(field))
    }

    /// Reads a bytes field of at most `limit` bytes.
    public mutating func readBytes(_ field: Field, limit: Int) throws(WireDecodingError) -> [UInt8] {
        let range = try readLengthDelimitedRange(field, limit: limit)
        return Array(bytes[range])
    }

    /// Reads a UTF-8 string field of at most `limit` bytes; invalid UTF-8 is rejected.
    public mutating func readString(_ field: Field, limit: Int) throws(WireDecodingError) -> String {
        let range = try readLengthDelimitedRange(field, limit: limit)
        var iterator = bytes[range].makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: return String(scalars)
            case .error: throw .invalidValue(field: field.number)
            }
        }
    }

    /// Reads a node ID stored as 16 big-endian bytes.
    public mutating func readNodeID(_ field: Field) throws(WireDecodingError) -> NodeID {
        let range = try readLengthDelimitedRange(field, limit: 16)
        guard range.count == 16 else { throw .invalidValue(field: field.number) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[range.lowerBound + index])
            low = low << 8 | UInt64(bytes[range.lowerBound + 8 + index])
        }
        return NodeID(high: high, low: low)
    }

    /// Reads a nested message field of at most `limit` bytes.
    public mutating func readMessage<Message: WireMessage>(
        _ field: Field, as type: Message.Type = Message.self, limit: Int
    ) throws(WireDecodingError) -> Message {
        guard depth + 1 < WireReader.maximumNesting else { throw .nestingTooDeep }
        let range = try readLengthDelimitedRange(field, limit: limit)
        var nested = WireReader(bytes: bytes, start: range.lowerBound, end: range.upperBound, depth: depth + 1)
        return try Message(from: &nested)
    }

    private mutating func readLengthDelimitedRange(
        _ field: Field, limit: Int
    ) throws(WireDecodingError) -> Range<Int> {
        try expect(field, .lengthDelimited)
        let length = try readVarint()
        guard length <= UInt64(limit) else { throw .lengthLimitExceeded(length: length, limit: limit) }
        guard length <= UInt64(end - position) else { throw .truncated }
        let start = position
        position += Int(length)
        return start..<position
    }

    private func expect(_ field: Field, _ type: WireType) throws(WireDecodingError) {
        guard field.type == type else { throw .wireTypeMismatch(field: field.number) }
    }

    private mutating func advance(by count: Int) throws(WireDecodingError) {
        guard count <= end - position else { throw .truncated }
        position += count
    }
}
