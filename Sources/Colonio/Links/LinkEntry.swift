import ColonioCore
import ColonioWebRTC

/// One link to a peer (WebRTC or in memory), from the first signal until it closes. Only touched on the node's actor.
final class LinkEntry {
    let peer: NodeID
    let link: any TransportLink
    /// The signaling session this link belongs to; signals of other sessions are ignored.
    let sessionID: UInt64
    /// Whether this side made the offer.
    let isOfferer: Bool
    /// Whether this link's signals go through the seed (else through the overlay).
    let signalsViaSeed: Bool
    var localSDP: String?
    /// Local ICE candidates gathered before `localSDP` was signaled; sent right after it.
    var heldCandidates: [SignalPayload] = []
    /// Local ICE candidates already signaled (at most ``maximumRepeatedCandidates``), to repeat with the
    /// offer if the peer never got it.
    var sentCandidates: [SignalPayload] = []
    static let maximumRepeatedCandidates = 32
    var remoteSDP: String?
    var helloSent = false
    /// Set once the peer's hello verified; only then does the node machine know the link.
    var isAuthenticated = false {
        didSet { if isAuthenticated && authenticatedAt == nil { authenticatedAt = .now } }
    }
    /// When the entry was made: this side's offer started, or the peer's offer arrived.
    let createdAt = ContinuousClock.now
    private var authenticatedAt: ContinuousClock.Instant?
    /// From the entry's creation until the peer's hello verified (signaling, ICE, DTLS, SCTP and the
    /// certificate hello); `nil` until authenticated.
    var setupTime: Duration? { authenticatedAt.map { $0 - createdAt } }
    /// The peer connection's latest state, for ``ColonioNode/links()``.
    var connectionState: PeerLinkState = .new
    private let outbox: AsyncStream<[UInt8]>.Continuation
    private var tasks: [Task<Void, Never>] = []

    init(peer: NodeID, link: any TransportLink, sessionID: UInt64, isOfferer: Bool, signalsViaSeed: Bool) {
        self.peer = peer
        self.link = link
        self.sessionID = sessionID
        self.isOfferer = isOfferer
        self.signalsViaSeed = signalsViaSeed
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

    /// Queues a frame of `type` for sending, after every frame queued before it.
    func enqueue(_ type: LinkFrameType, _ body: [UInt8]) {
        var frame = [UInt8]()
        frame.reserveCapacity(body.count + 1)
        frame.append(type.rawValue)
        frame.append(contentsOf: body)
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
