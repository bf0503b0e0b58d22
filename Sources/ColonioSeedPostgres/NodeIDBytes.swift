import ColonioCore
import NIOCore

/// A node ID as the registry stores it: 16 bytes, big-endian, so that bytea order is ring order.
enum NodeIDBytes {
    static func encode(_ id: NodeID) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(16)
        buffer.writeInteger(id.high)
        buffer.writeInteger(id.low)
        return buffer
    }

    static func decode(_ buffer: ByteBuffer) -> NodeID? {
        var buffer = buffer
        guard buffer.readableBytes == 16, let high = buffer.readInteger(as: UInt64.self),
            let low = buffer.readInteger(as: UInt64.self)
        else { return nil }
        return NodeID(high: high, low: low)
    }
}
