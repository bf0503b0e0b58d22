import ColonioCore
import NIOCore
import NIOWebSocket
import Synchronization

/// The outgoing side of one client connection: frames delivered here are written to its socket in
/// the order they are delivered.
///
/// Other connections deliver relayed signals through it, and the seed closes it when the keepalive
/// lapses. Frames go straight into the connection's channel (no task per connection waits on a
/// queue); when the client does not read and the channel's write buffer passes its high-water mark,
/// further frames are dropped, so a stalled client cannot grow the seed's memory.
public final class SeedMailbox: Sendable {
    private let channel: any Channel
    private let lastActivity: Atomic<Int64>

    init(channel: any Channel, now: Int64) {
        self.channel = channel
        lastActivity = Atomic(now)
    }

    /// Writes an encoded frame; returns `false` when the connection is closed or not draining.
    @discardableResult
    public func deliver(_ bytes: [UInt8]) -> Bool {
        guard channel.isActive, channel.isWritable else { return false }
        let frame = WebSocketFrame(fin: true, opcode: .binary, data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(frame, promise: nil)
        return true
    }

    /// Writes a frame.
    @discardableResult
    public func deliver(_ frame: SeedFrame) -> Bool {
        deliver(frame.encoded())
    }

    /// Closes the connection; its reader then ends and the node is unregistered.
    public func close(reason: String) {
        channel.close(promise: nil)
    }

    func touch(now: Int64) {
        lastActivity.store(now, ordering: .relaxed)
    }

    func lastActivityMilliseconds() -> Int64 {
        lastActivity.load(ordering: .relaxed)
    }
}
