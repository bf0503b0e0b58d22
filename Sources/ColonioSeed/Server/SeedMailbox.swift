import ColonioCore
import Synchronization

/// The outgoing side of one client connection: frames queued here are written to its socket in order.
///
/// Other connections deliver relayed signals through it, and the seed closes it when the keepalive
/// lapses. The queue is bounded so a client that does not read cannot grow the seed's memory.
public final class SeedMailbox: Sendable {
    /// What the connection's writer does next.
    enum Item: Sendable {
        case frame([UInt8])
        case close(reason: String)
    }

    let stream: AsyncStream<Item>
    private let continuation: AsyncStream<Item>.Continuation
    private let lastActivity: Atomic<Int64>

    init(queueLimit: Int, now: Int64) {
        (stream, continuation) = AsyncStream.makeStream(of: Item.self, bufferingPolicy: .bufferingOldest(queueLimit))
        lastActivity = Atomic(now)
    }

    /// Queues an encoded frame; returns `false` when the client's queue is full or closed.
    @discardableResult
    public func deliver(_ bytes: [UInt8]) -> Bool {
        if case .enqueued = continuation.yield(.frame(bytes)) { return true }
        return false
    }

    /// Queues a frame.
    @discardableResult
    public func deliver(_ frame: SeedFrame) -> Bool {
        deliver(frame.encoded())
    }

    /// Asks the writer to close the connection after the frames already queued.
    public func close(reason: String) {
        continuation.yield(.close(reason: reason))
        continuation.finish()
    }

    func finish() {
        continuation.finish()
    }

    func touch(now: Int64) {
        lastActivity.store(now, ordering: .relaxed)
    }

    func lastActivityMilliseconds() -> Int64 {
        lastActivity.load(ordering: .relaxed)
    }
}
