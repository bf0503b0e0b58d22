import CWebRTC
import Logging

/// A WebRTC connection to one remote peer with one reliable, ordered data channel.
///
/// Signaling is up to the caller: the offering side calls `makeOffer()`, hands the SDP to the remote
/// side, which calls `accept(offer:)` and hands back the answer for `setAnswer(_:)`; both sides pass
/// every `.localCandidate` event to the other side's `add(candidate:)`. `events` then reports `.opened`
/// and the messages. SDP and candidates are the standard strings a browser produces and consumes.
///
/// Messages of any size are allowed: the link splits messages into fragments of at most 65,535 bytes, or
/// less when the peer's `a=max-message-size` is smaller (one flag byte, 0 = last fragment, 1 = more
/// follow, then the payload), so no SCTP message exceeds what the peer accepts, and joins them on
/// receipt; a browser peer applies the same framing. Releasing the last reference closes the link.
///
/// ```swift
/// let engine = try WebRTCEngine(configuration: .loopbackOnly, logger: logger)  // tests: loopback only
/// let link = try engine.makeLink()
/// Task {
///     for await event in link.events {
///         switch event {
///         case .localCandidate(let candidate): signal(candidate)  // to the remote add(candidate:)
///         case .opened: try await link.send(hello)
///         case .message(let bytes): handle(bytes)
///         case .closed: forget(link)
///         case .stateChanged: break
///         }
///     }
/// }
/// signal(try await link.makeOffer())  // remote: let answer = try await remote.accept(offer: offer)
/// try await link.setAnswer(answer)
/// ```
public final class PeerLink: Sendable {
    /// Everything that happens on the link, in order; finishes after `.closed`. Consume it from one task,
    /// continuously: events are buffered without bound until consumed.
    public let events: AsyncStream<PeerLinkEvent>
    /// The engine, kept alive while the link is.
    public let engine: WebRTCEngine
    private let handle: PeerHandle
    private let core: LinkCore
    private let highWaterMark: UInt64
    private let lowWaterMark: UInt64

    init(engine: WebRTCEngine, logger: Logger) throws(WebRTCError) {
        let (events, continuation) = AsyncStream.makeStream(of: PeerLinkEvent.self, bufferingPolicy: .unbounded)
        let core = LinkCore(continuation: continuation, logger: logger)
        let context = Unmanaged.passRetained(core).toOpaque()
        var callbacks = LinkCore.callbacks
        let created = CStrings.withErrorBuffer { error, capacity in
            cwrtc_peer_create(engine.handle.pointer, &callbacks, context, error, capacity)
        }
        guard let peer = created.value else {
            Unmanaged<LinkCore>.fromOpaque(context).release()
            continuation.finish()
            throw .engineFailure(created.error)
        }
        self.events = events
        self.engine = engine
        self.core = core
        self.handle = PeerHandle(pointer: peer)
        let configuration = engine.configuration
        self.highWaterMark = UInt64(max(configuration.sendHighWaterMark, 0))
        self.lowWaterMark = UInt64(max(min(configuration.sendLowWaterMark, configuration.sendHighWaterMark), 0))
    }

    deinit {
        cwrtc_peer_release(handle.pointer)
    }

    /// Creates an offer, applies it locally and returns its SDP for the remote side's `accept(offer:)`.
    /// Local candidates follow as `.localCandidate` events.
    public func makeOffer() async throws(WebRTCError) -> String {
        try await sdpOperation { peer, done, context in cwrtc_peer_create_offer(peer, done, context) }
    }

    /// Applies the remote side's offer and returns the answer SDP for its `setAnswer(_:)`.
    /// - Throws: `WebRTCError.invalidSDP` if the offer cannot be parsed or applied.
    public func accept(offer: String) async throws(WebRTCError) -> String {
        try await sdpOperation { peer, done, context in cwrtc_peer_accept_offer(peer, offer, done, context) }
    }

    /// Applies the remote side's answer to this link's offer.
    /// - Throws: `WebRTCError.invalidSDP` if the answer cannot be parsed or this link made no offer.
    public func setAnswer(_ answer: String) async throws(WebRTCError) {
        try await doneOperation { peer, done, context in cwrtc_peer_set_answer(peer, answer, done, context) }
    }

    /// Adds a candidate from the remote side's `.localCandidate` event. Candidates that arrive before
    /// the remote description are held until it is applied. An empty candidate line (a browser's
    /// end-of-candidates) is accepted and ignored.
    /// - Throws: `WebRTCError.invalidCandidate` if the line cannot be parsed or does not fit.
    public func add(candidate: ICECandidate) async throws(WebRTCError) {
        try await doneOperation { peer, done, context in
            cwrtc_peer_add_candidate(
                peer, candidate.candidate, candidate.sdpMid, candidate.sdpMLineIndex, done, context)
        }
    }

    /// Queues one message. Suspends while more than the configuration's `sendHighWaterMark` bytes are
    /// queued, so a fast sender cannot exhaust memory. Messages sent before `.opened` are held.
    /// - Throws: `WebRTCError.closed` once the link is closed.
    public func send(_ bytes: [UInt8]) async throws(WebRTCError) {
        while cwrtc_peer_buffered_amount(handle.pointer) > highWaterMark {
            let drained: Result<Void, WebRTCError> = await withCheckedContinuation { waiter in
                if core.addSendWaiter(waiter) {
                    cwrtc_peer_notify_when_low(handle.pointer, lowWaterMark)
                }
            }
            try drained.get()
        }
        let result = bytes.withUnsafeBufferPointer { cwrtc_peer_send(handle.pointer, $0.baseAddress, $0.count) }
        if result != CWRTC_OK { throw .closed }
    }

    /// Sends `bytes` at once if the send buffer is at or below the high-water mark and returns `true`;
    /// returns `false`, sending nothing, when ``send(_:)`` would wait. Lets a caller that keeps frames in
    /// order skip a task switch per frame while the link keeps up.
    public func sendIfRoom(_ bytes: [UInt8]) throws(WebRTCError) -> Bool {
        guard cwrtc_peer_buffered_amount(handle.pointer) <= highWaterMark else { return false }
        let result = bytes.withUnsafeBufferPointer { cwrtc_peer_send(handle.pointer, $0.baseAddress, $0.count) }
        if result != CWRTC_OK { throw .closed }
        return true
    }

    /// Bytes queued for sending and not yet handed to SCTP.
    public var bufferedAmount: Int { Int(cwrtc_peer_buffered_amount(handle.pointer)) }

    /// Closes the link; both sides then see `.closed`. Idempotent.
    public func close() {
        cwrtc_peer_close(handle.pointer)
    }

    /// STUN/TURN servers that failed for this link while gathering, oldest first (e.g. TURN 401 for a
    /// refused credential). ICE carries on with the other candidates, so the link may still connect.
    public var iceServerErrors: [ICEServerError] { core.iceServerErrors }

    /// When ICE first connected (a working candidate pair), `nil` before; DTLS and the data channel
    /// follow (``PeerLinkEvent/stateChanged(_:)`` `.connected`, then ``PeerLinkEvent/opened``).
    public var iceConnectedAt: ContinuousClock.Instant? { core.iceConnectedAt }

    /// Figures of the selected candidate pair, or `nil` while none is selected.
    public func statistics() async -> LinkStatistics? {
        await withCheckedContinuation { (continuation: CheckedContinuation<LinkStatistics?, Never>) in
            cwrtc_peer_get_stats(handle.pointer, { context, stats in
                Completion<LinkStatistics?>.resume(context, with: stats.map(LinkStatistics.init))
            }, Completion(continuation).context)
        }
    }

    // MARK: completion plumbing

    private func sdpOperation(
        _ start: (OpaquePointer, cwrtc_sdp_callback, UnsafeMutableRawPointer) -> Void
    ) async throws(WebRTCError) -> String {
        typealias Waiter = CheckedContinuation<Result<String, WebRTCError>, Never>
        let result = await withCheckedContinuation { (continuation: Waiter) in
            start(handle.pointer, { context, sdp, error, message in
                let result: Result<String, WebRTCError> =
                    if let sdp, error == CWRTC_OK { .success(String(cString: sdp)) } else {
                        .failure(WebRTCError(code: error, message: message))
                    }
                Completion.resume(context, with: result)
            }, Completion(continuation).context)
        }
        return try result.get()
    }

    private func doneOperation(
        _ start: (OpaquePointer, cwrtc_done_callback, UnsafeMutableRawPointer) -> Void
    ) async throws(WebRTCError) {
        typealias Waiter = CheckedContinuation<Result<Void, WebRTCError>, Never>
        let result = await withCheckedContinuation { (continuation: Waiter) in
            start(handle.pointer, { context, error, message in
                let result: Result<Void, WebRTCError> =
                    error == CWRTC_OK ? .success(()) : .failure(WebRTCError(code: error, message: message))
                Completion.resume(context, with: result)
            }, Completion(continuation).context)
        }
        try result.get()
    }
}

/// The C peer handle; the C API is thread-safe.
struct PeerHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}

extension LinkStatistics {
    init(_ stats: UnsafePointer<cwrtc_stats>) {
        let value = stats.pointee
        let rtt = value.current_round_trip_time
        self.init(
            localCandidateType: CandidateType(rawValue: CStrings.string(value.local_candidate_type)),
            remoteCandidateType: CandidateType(rawValue: CStrings.string(value.remote_candidate_type)),
            roundTripTime: rtt >= 0 ? .microseconds(Int64((rtt * 1_000_000).rounded())) : nil,
            bytesSent: value.bytes_sent,
            bytesReceived: value.bytes_received
        )
    }
}
