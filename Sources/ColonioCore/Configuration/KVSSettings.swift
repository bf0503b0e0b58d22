/// Key-value store parameters a network's seed hands to every node.
public struct KVSSettings: Equatable, Sendable {
    /// Replicas per key, on distinct nodes; any minority of them may fail.
    public var replicationFactor: UInt32 = 3
    /// Largest key, in UTF-8 bytes.
    public var maximumKeyBytes: UInt32 = 1024
    /// Largest value, in bytes.
    public var maximumValueBytes: UInt32 = 1024 * 1024
    /// An operation not completed within this time fails as unavailable.
    public var operationTimeoutMilliseconds: UInt32 = 10_000

    /// The defaults.
    public init() {}
}

extension KVSSettings: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: replicationFactor = try reader.readUInt32(field)
            case 2: maximumKeyBytes = try reader.readUInt32(field)
            case 3: maximumValueBytes = try reader.readUInt32(field)
            case 4: operationTimeoutMilliseconds = try reader.readUInt32(field)
            default: try reader.skip(field)
            }
        }
        guard replicationFactor >= 1, replicationFactor <= 15 else { throw .invalidValue(field: 1) }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: UInt64(replicationFactor))
        writer.write(field: 2, uint64: UInt64(maximumKeyBytes))
        writer.write(field: 3, uint64: UInt64(maximumValueBytes))
        writer.write(field: 4, uint64: UInt64(operationTimeoutMilliseconds))
    }
}
