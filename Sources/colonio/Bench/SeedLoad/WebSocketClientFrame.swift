import NIOCore
import NIOWebSocket

/// Client-to-server WebSocket frames, encoded ahead of time for the seed load generator.
///
/// RFC 6455 requires a client to mask every frame with a fresh key. The load generator builds (and
/// masks) its frames before timing, so sending one during a measurement is a plain write of bytes.
enum WebSocketClientFrame {
    /// Opcode of a binary data frame.
    static let binary: UInt8 = 0x2
    /// Opcode of a pong, the answer to a ping.
    static let pong: UInt8 = 0xA

    /// Appends one unfragmented frame (FIN set) with `opcode` and `payload`, masked with a random key,
    /// to `buffer`.
    static func write(opcode: UInt8, payload: ByteBuffer, to buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | opcode)
        let maskBit: UInt8 = 0x80
        let length = payload.readableBytes
        if length < 126 {
            buffer.writeInteger(maskBit | UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(length))
        }
        let key = WebSocketMaskingKey.random()
        buffer.writeBytes(key)
        var masked = payload
        masked.webSocketMask(key)
        buffer.writeBuffer(&masked)
    }

    /// One binary frame carrying `bytes` (an encoded `SeedFrame`).
    static func binary(_ bytes: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: bytes.count + 14)
        write(opcode: binary, payload: allocator.buffer(bytes: bytes), to: &buffer)
        return buffer
    }
}
