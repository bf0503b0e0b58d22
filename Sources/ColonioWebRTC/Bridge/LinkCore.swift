import CWebRTC
import Logging
import Synchronization

/// The context of one C peer: receives its callbacks on the engine thread and turns them into events.
/// Retained by the C side from creation until its `released` callback.
final class LinkCore: @unchecked Sendable {
    private struct State {
        var closed = false
        var finished = false
        var sendWaiters: [CheckedContinuation<Result<Void, WebRTCError>, Never>] = []
        var iceServerErrors: [ICEServerError] = []
        var iceConnectedAt: ContinuousClock.Instant?
    }

    /// How many distinct ICE server errors a link keeps (a server retried by libwebrtc repeats its error).
    static let maximumICEServerErrors = 8

    let continuation: AsyncStream<PeerLinkEvent>.Continuation
    let logger: Logger
    private let state = Mutex(State())
    /// Fragments of a message being received; touched only on the engine thread (`message` callback).
    private var partial: [UInt8] = []

    init(continuation: AsyncStream<PeerLinkEvent>.Continuation, logger: Logger) {
        self.continuation = continuation
        self.logger = logger
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// When ICE first found a working candidate pair (benchmarks time the connection's steps with it).
    var iceConnectedAt: ContinuousClock.Instant? { state.withLock { $0.iceConnectedAt } }

    func iceStateChanged(_ state: cwrtc_ice_state) {
        logger.trace("WebRTC ICE state", metadata: ["state": "\(state.rawValue)"])
        guard state == CWRTC_ICE_CONNECTED || state == CWRTC_ICE_COMPLETED else { return }
        let now = ContinuousClock.now
        self.state.withLock { if $0.iceConnectedAt == nil { $0.iceConnectedAt = now } }
    }

    /// The distinct STUN/TURN failures reported so far, oldest first.
    var iceServerErrors: [ICEServerError] { state.withLock { $0.iceServerErrors } }

    func iceServerFailed(_ error: ICEServerError) {
        let isNew = state.withLock { state in
            guard !state.iceServerErrors.contains(error), state.iceServerErrors.count < Self.maximumICEServerErrors
            else { return false }
            state.iceServerErrors.append(error)
            return true
        }
        guard isNew else { return }
        // A server's own refusal (e.g. TURN 401) is a warning: otherwise it only shows as links that never
        // come up. 701 is libwebrtc's local verdict (no answer, or an interface of the other IP family).
        if error.code == 701 {
            logger.debug("ICE server unusable", metadata: ["error": "\(error)"])
        } else {
            logger.warning("ICE server failed", metadata: ["error": "\(error)"])
        }
    }

    /// Registers a sender waiting for the queue to drain; answers at once if the link is closed.
    func addSendWaiter(_ waiter: CheckedContinuation<Result<Void, WebRTCError>, Never>) -> Bool {
        let closed = state.withLock { state in
            if state.closed { return true }
            state.sendWaiters.append(waiter)
            return false
        }
        if closed { waiter.resume(returning: .failure(.closed)) }
        return !closed
    }

    // MARK: callbacks (engine thread)

    func receive(_ data: UnsafePointer<UInt8>?, _ size: Int, last: Bool) {
        // The only copy on the receive path: from libwebrtc's buffer into the message array.
        let fragment = UnsafeBufferPointer(start: data, count: size)
        if last && partial.isEmpty {
            continuation.yield(.message(Array(fragment)))
            return
        }
        partial.append(contentsOf: fragment)
        if last {
            let message = partial
            partial = []
            continuation.yield(.message(message))
        }
    }

    func bufferedAmountLow() {
        let waiters = state.withLock { state in
            let waiters = state.sendWaiters
            state.sendWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: .success(())) }
    }

    func closed() {
        let waiters = state.withLock { state in
            state.closed = true
            let waiters = state.sendWaiters
            state.sendWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: .failure(.closed)) }
        finish()
    }

    func released() {
        closed()
        partial = []
    }

    /// Ends the event stream with `.closed`, once.
    private func finish() {
        let first = state.withLock { state in
            defer { state.finished = true }
            return !state.finished
        }
        guard first else { return }
        logger.debug("WebRTC link closed")
        continuation.yield(.closed)
        continuation.finish()
    }

    // MARK: C glue

    static func from(_ context: UnsafeMutableRawPointer?) -> LinkCore {
        Unmanaged<LinkCore>.fromOpaque(context!).takeUnretainedValue()
    }

    /// The C callbacks of every link; each finds its `LinkCore` through the context pointer.
    static var callbacks: cwrtc_peer_callbacks {
        var callbacks = cwrtc_peer_callbacks()
        callbacks.local_candidate = { context, candidate, mid, index in
            let event = ICECandidate(
                candidate: CStrings.string(candidate), sdpMid: mid.map { String(cString: $0) }, sdpMLineIndex: index)
            LinkCore.from(context).continuation.yield(.localCandidate(event))
        }
        callbacks.state_changed = { context, state in
            let core = LinkCore.from(context)
            let mapped = PeerLinkState(state)
            core.logger.debug("WebRTC link state", metadata: ["state": "\(mapped)"])
            core.continuation.yield(.stateChanged(mapped))
        }
        callbacks.ice_state_changed = { context, state in
            LinkCore.from(context).iceStateChanged(state)
        }
        callbacks.channel_open = { context in
            LinkCore.from(context).continuation.yield(.opened)
        }
        callbacks.message = { context, data, size, last in
            LinkCore.from(context).receive(data, size, last: last)
        }
        callbacks.buffered_amount_low = { context in
            LinkCore.from(context).bufferedAmountLow()
        }
        callbacks.closed = { context in
            LinkCore.from(context).closed()
        }
        callbacks.ice_server_error = { context, url, code, reason in
            LinkCore.from(context).iceServerFailed(
                ICEServerError(url: CStrings.string(url), code: Int(code), reason: CStrings.string(reason)))
        }
        callbacks.released = { context in
            Unmanaged<LinkCore>.fromOpaque(context!).takeRetainedValue().released()
        }
        return callbacks
    }
}

extension PeerLinkState {
    init(_ state: cwrtc_peer_state) {
        switch state {
        case CWRTC_STATE_CONNECTING: self = .connecting
        case CWRTC_STATE_CONNECTED: self = .connected
        case CWRTC_STATE_DISCONNECTED: self = .disconnected
        case CWRTC_STATE_FAILED: self = .failed
        case CWRTC_STATE_CLOSED: self = .closed
        default: self = .new
        }
    }
}
