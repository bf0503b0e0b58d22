import ColonioCore
import ColonioWebRTC

/// One peer connection (WebRTC or in memory) that the ``NodeController`` asked for, with the sender
/// that keeps its frames in order. What the link is doing (signaling, hello, authenticated) is the
/// controller's ``LinkNegotiation``; this is only the I/O. Only touched on the node's actor.
final class ShellLink {
    let peer: NodeID
    /// The controller's link session: events of this connection carry it back.
    let session: UInt64
    let link: any TransportLink
    let createdAt = ContinuousClock.now
    /// The peer connection's latest state, for ``ColonioNode/links()``.
    var connectionState: PeerLinkState = .new
    private let outbox: AsyncStream<[UInt8]>.Continuation
    private var tasks: [Task<Void, Never>] = []

    init(peer: NodeID, session: UInt64, link: any TransportLink) {
        self.peer = peer
        self.session = session
        self.link = link
        let (frames, outbox) = AsyncStream<[UInt8]>.makeStream()
        self.outbox = outbox
        // One sender per link keeps frames in order while `send` waits for backpressure.
        tasks.append(Task { [link] in
            for await frame in frames {
                let sent = await ColonioNode.outcome { try await link.send(frame) }
                if case .failure = sent { break }
            }
            link.close()
        })
    }

    /// Queues `frame` for sending, after every frame queued before it.
    func send(_ frame: [UInt8]) {
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
