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
    /// The client's IP address (no port), for the per-address limits.
    let address: String
    private let lastActivity: Atomic<Int64>
    /// Set once the HTTP upgrade completed; before that the pipeline cannot encode WebSocket frames.
    private let isWebSocket = Atomic<Bool>(false)
    /// When an unfinished HTTP request (or a new connection's first one) must have arrived; `Int64.max`
    /// when none is due. Bytes trickling in do not move it.
    private let requestDeadline: Atomic<Int64>
    /// When an upgraded connection must have signed in; `Int64.max` once it has. Pings and keepalive
    /// frames do not move it.
    private let signInDeadline = Atomic<Int64>(.max)

    init(channel: any Channel, address: String, now: Int64, requestDeadline: Int64) {
        self.channel = channel
        self.address = address
        lastActivity = Atomic(now)
        self.requestDeadline = Atomic(requestDeadline)
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
        close(code: .goingAway, reason: reason)
    }

    /// Closes the connection; a WebSocket first gets a close frame with `code` and `reason`.
    func close(code: WebSocketErrorCode, reason: String) {
        if isWebSocket.load(ordering: .acquiring), channel.isActive {
            var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
            data.write(webSocketErrorCode: code)
            // A close frame's payload is at most 125 bytes: the code and a short reason.
            data.writeBytes(reason.utf8.prefix(123))
            channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), promise: nil)
        }
        channel.close(promise: nil)
    }

    /// Marks the connection as upgraded to a WebSocket, which must sign in by `signInDeadline`; called
    /// on its event loop.
    func upgraded(signInDeadline deadline: Int64) {
        requestDeadline.store(.max, ordering: .relaxed)
        signInDeadline.store(deadline, ordering: .relaxed)
        isWebSocket.store(true, ordering: .releasing)
    }

    /// The connection signed in: no deadline but the keepalive's from now on.
    func signedIn() {
        signInDeadline.store(.max, ordering: .relaxed)
    }

    /// An HTTP request began: it must be complete by `deadline`.
    func requestStarted(deadline: Int64) {
        requestDeadline.store(deadline, ordering: .relaxed)
    }

    /// An HTTP request arrived completely.
    func requestEnded() {
        requestDeadline.store(.max, ordering: .relaxed)
    }

    /// Which deadline, if any, has passed at `now`.
    func lapsedDeadline(now: Int64) -> ConnectionDeadline? {
        if now >= signInDeadline.load(ordering: .relaxed) { return .signIn }
        if now >= requestDeadline.load(ordering: .relaxed) { return .request }
        return nil
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
