import ColonioCore
import NIOCore
import NIOWebSocket
import Synchronization

/// The outgoing side of one client connection: frames delivered here are written to its socket in
/// the order they are delivered.
///
/// Other connections deliver relayed signals through it, and the seed closes it when the keepalive
/// lapses or the seed shuts down. Frames go straight into the connection's channel (no task per
/// connection waits on a queue); when the client does not read and the channel's write buffer passes
/// its high-water mark, further frames are dropped, so a stalled client cannot grow the seed's memory.
///
/// Every accepted TCP connection has one from the start, so the keepalive sweep and shutdown reach
/// connections still speaking plain HTTP too; frames are only written once it carries a WebSocket.
public final class SeedMailbox: Sendable {
    private let channel: any Channel
    private let lastActivity: Atomic<Int64>
    /// Set once the HTTP upgrade completed; before that the pipeline cannot encode WebSocket frames.
    private let isWebSocket = Atomic<Bool>(false)

    init(channel: any Channel, now: Int64) {
        self.channel = channel
        lastActivity = Atomic(now)
    }

    /// Writes an encoded frame; returns `false` when the connection is closed or not draining.
    @discardableResult
    public func deliver(_ bytes: [UInt8]) -> Bool {
        guard isWebSocket.load(ordering: .acquiring), channel.isActive, channel.isWritable else { return false }
        let frame = WebSocketFrame(fin: true, opcode: .binary, data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(frame, promise: nil)
        return true
    }

    /// Writes a frame.
    @discardableResult
    public func deliver(_ frame: SeedFrame) -> Bool {
        deliver(frame.encoded())
    }

    /// Closes the connection (a WebSocket first gets a close frame saying the seed is going away); the
    /// node is then unregistered.
    public func close(reason: String) {
        if isWebSocket.load(ordering: .acquiring), channel.isActive {
            var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
            data.write(webSocketErrorCode: .goingAway)
            // A close frame's payload is at most 125 bytes: the code and a short reason.
            data.writeBytes(reason.utf8.prefix(123))
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), promise: nil)
        }
        channel.close(promise: nil)
    }

    /// Marks the connection as upgraded to a WebSocket; called on its event loop.
    func upgraded() {
        isWebSocket.store(true, ordering: .releasing)
    }

    func touch(now: Int64) {
        lastActivity.store(now, ordering: .relaxed)
    }

    func lastActivityMilliseconds() -> Int64 {
        lastActivity.load(ordering: .relaxed)
    }

    /// Completes when the connection has closed.
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }
}
