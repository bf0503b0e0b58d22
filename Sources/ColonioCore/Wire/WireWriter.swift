/// Appends protobuf-wire-compatible fields to a byte buffer.
///
/// Fields are written in the order the caller writes them; defaults are not elided automatically, the
/// message's `encode` decides what to omit.
public struct WireWriter: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty writer, optionally reserving capacity.
    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends a base-128 varint.
    public mutating func writeVarint(_ value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Appends a field key (field number and wire type).
    public mutating func writeKey(field: UInt32, type: WireType) {
        writeVarint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// Appends an unsigned integer field (protobuf `uint64`/`uint32`).
    public mutating func write(field: UInt32, uint64 value: UInt64) {
        writeKey(field: field, type: .varint)
        writeVarint(value)
    }

    /// Appends a signed integer field with zig-zag encoding (protobuf `sint64`).
    public mutating func write(field: UInt32, sint64 value: Int64) {
        writeKey(field: field, type: .varint)
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends a boolean field.
    public mutating func write(field: UInt32, bool value: Bool) {
        write(field: field, uint64: value ? 1 : 0)
    }

    /// Appends a little-endian 64-bit field (protobuf `fixed64`).
    public mutating func write(field: UInt32, fixed64 value: UInt64) {
        writeKey(field: field, type: .fixed64)
        appendLittleEndian(value, byteCount: 8)
    }

    /// Appends a `double` field.
    public mutating func write(field: UInt32, double value: Double) {
        write(field: field, fixed64: value.bitPattern)
    }

    /// Appends a length-delimited bytes field.
    public mutating func write(field: UInt32, bytes value: some Collection<UInt8>) {
        writeKey(field: field, type: .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Appends a length-delimited UTF-8 string field.
    public mutating func write(field: UInt32, string value: String) {
        write(field: field, bytes: Array(value.utf8))
    }

    /// Appends a node ID as 16 big-endian bytes (so the `.proto` type is `bytes`).
    public mutating func write(field: UInt32, nodeID: NodeID) {
        writeKey(field: field, type: .lengthDelimited)
        writeVarint(16)
        appendBigEndian(nodeID.high)
        appendBigEndian(nodeID.low)
    }

    /// Appends a nested message field.
    public mutating func write<Message: WireMessage>(field: UInt32, message: Message) {
        var nested = WireWriter()
        message.encode(to: &nested)
        write(field: field, bytes: nested.bytes)
    }

    private mutating func appendLittleEndian(_ value: UInt64, byteCount: Int) {
        for shift in 0..<byteCount {
            bytes.append(UInt8(truncatingIfNeeded: value >> (UInt64(shift) * 8)))
        }
    }

    private mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
