import ColonioCore
import ColonioWebRTC
import Synchronization

/// One peer connection (WebRTC or in memory) that the ``NodeController`` asked for, with the sender
/// that keeps its frames in order. What the link is doing (signaling, hello, authenticated) is the
/// controller's ``LinkNegotiation``; this is only the I/O. Only touched on the node's actor.
final class ShellLink {
    let peer: NodeID
    /// The controller's link session: events of this connection carry it back.
    let session: UInt64
    let link: any TransportLink
    /// The peer connection's latest state, for ``ColonioNode/links()``.
    var connectionState: PeerLinkState = .new
    private let outbox: AsyncStream<[UInt8]>.Continuation
    /// Frames handed to the sender task and not yet sent; while any are, new frames queue behind them.
    private let queued = QueuedFrames()
    private var tasks: [Task<Void, Never>] = []

    init(peer: NodeID, session: UInt64, link: any TransportLink) {
        self.peer = peer
        self.session = session
        self.link = link
        let (frames, outbox) = AsyncStream<[UInt8]>.makeStream()
        self.outbox = outbox
        let queued = self.queued
        // One sender per link keeps frames in order while `send` waits for backpressure.
        tasks.append(Task { [link, queued] in
            for await frame in frames {
                let sent = await ColonioNode.outcome { try await link.send(frame) }
                queued.count.subtract(1, ordering: .releasing)
                if case .failure = sent { break }
            }
            link.close()
        })
    }

    /// Sends `frame` after every frame sent before it: at once while the link keeps up (no task switch
    /// per frame), through the sender task when the link's buffer is full or frames wait there.
    func send(_ frame: [UInt8]) {
        if queued.count.load(ordering: .acquiring) == 0 {
            do {
                if try link.sendIfRoom(frame) { return }
            } catch {
                return  // closed: the link's `.closed` event follows
            }
        }
        queued.count.add(1, ordering: .relaxed)
        outbox.yield(frame)
    }

    /// Keeps `task` (the event reader) alive with the link and cancels it on close.
    func attach(_ task: Task<Void, Never>) {
        tasks.append(task)
    }

    /// Stops reading the link without closing it: the peer sees a silent link, as with a hung process.
    func abandon() {
        tasks.dropFirst().forEach { $0.cancel() }
    }

    /// Sends what is queued, then closes the link.
    func close() {
        outbox.finish()
        tasks.dropFirst().forEach { $0.cancel() }
    }
}

/// How many frames wait for a link's sender task (shared between the node's actor and that task).
private final class QueuedFrames: Sendable {
    let count = Atomic<Int>(0)
}
