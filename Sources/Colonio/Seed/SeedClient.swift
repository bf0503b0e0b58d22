import ColonioCore
import ColonioTime
import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import Synchronization
import WSClient

/// A node's connection to the seed: sign-in, signaling relay, keepalive and certificate renewal.
///
/// ```swift
/// let client = try await SeedClient.connect(
///     url: "ws://127.0.0.1:8080", network: "game", token: secret, keypair: key)
/// for await (from, payload) in client.signals { ... }
/// try client.send(signal: payload, to: client.session.bootstrapPeers[0])
/// ```
/// Keepalives are sent by the client itself at the interval the seed asks for. Errors the seed reports
/// for individual frames (for example a signal to a node that left) arrive on ``failures``.
public final class SeedClient: Sendable {
    /// Options with defaults suitable for most nodes.
    public struct Options: Sendable {
        /// How long ``connect(url:network:token:keypair:resuming:options:logger:)`` waits for the sign-in answer.
        public var signInTimeout: Duration
        /// How long ``renewCertificate()`` waits.
        public var requestTimeout: Duration
        /// How long ``close()`` waits for the seed to acknowledge the close.
        public var closeTimeout: Duration
        /// The clock of those timeouts, the keepalive and the resume claim's signing time.
        public var clock: ColonioClock
        /// A PEM file of certificate authorities trusted for `wss://` seeds besides the system's roots:
        /// for a seed whose certificate comes from an authority of your own. `nil`: the system's only.
        public var trustedCAFile: String?

        /// Creates options.
        public init(
            signInTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(10),
            closeTimeout: Duration = .seconds(2), clock: ColonioClock = .system, trustedCAFile: String? = nil
        ) {
            self.signInTimeout = signInTimeout
            self.requestTimeout = requestTimeout
            self.closeTimeout = closeTimeout
            self.clock = clock
            self.trustedCAFile = trustedCAFile
        }
    }

    /// What the sign-in returned.
    public let session: SeedSession
    /// Signals other nodes of the network sent to this one, in the order the seed relayed them.
    public let signals: AsyncStream<(from: NodeID, payload: SignalPayload)>
    /// Errors the seed reported after sign-in (refused signals, rate limiting, ...).
    public let failures: AsyncStream<SeedErrorMessage>

    private let connection: SeedConnection

    private init(session: SeedSession, connection: SeedConnection) {
        self.session = session
        self.connection = connection
        self.signals = connection.signals
        self.failures = connection.failures
    }

    /// Connects to the seed at `url` (`ws://host:port`, or `wss://host:port` for a seed with TLS; the
    /// network's endpoint path is appended), signs in to `network` with `token`, and returns once signed in.
    ///
    /// A `wss://` seed's certificate must chain to the system's roots or to ``Options/trustedCAFile``
    /// and name the URL's host; otherwise this throws ``SeedClientError/untrustedCertificate(_:)``.
    ///
    /// With `resuming`, the node's current certificate, the seed gives the node that certificate's ID
    /// again (after the seed connection dropped or the seed restarted); `keypair` must be the key the
    /// certificate names. A seed that cannot accept the claim refuses with
    /// `SeedErrorCode.resumeRefused`: sign in without it to get a new ID.
    public static func connect(
        url: String, network: String, token: String, keypair: Curve25519.Signing.PrivateKey,
        resuming: NodeCertificate? = nil, options: Options = Options(),
        logger: Logger = Logger(label: "colonio.seed-client")
    ) async throws(SeedClientError) -> SeedClient {
        guard url.hasPrefix("ws://") || url.hasPrefix("wss://") else { throw .invalidURL(url) }
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        let endpoint = base + "/v1/networks/\(network)/ws"
        let tls: TLSConfiguration? = try url.hasPrefix("wss://") ? SeedClientTLS.configuration(url: url, options: options) : nil
        let request = SignInRequest(network: network, token: token, publicKey: Array(keypair.publicKey.rawRepresentation))
        // A resume claim signs the connection's challenge, so it is made once the seed has sent it.
        var claim: (@Sendable ([UInt8]) -> SignInResume?)?
        if let resuming {
            let clock = options.clock
            claim = { challenge in
                var claim = SignInResume(certificate: resuming, unixSeconds: clock.unixSeconds(), challenge: challenge)
                guard let signature = try? keypair.signature(for: claim.signedBytes) else { return nil }
                claim.signature = Array(signature)
                return claim
            }
        }
        var logger = logger
        logger[metadataKey: "network"] = "\(network)"
        let connection = SeedConnection(options: options, tls: tls, logger: logger)
        let response = try await connection.open(endpoint: endpoint, signIn: request, claim: claim)
        return SeedClient(session: SeedSession(response), connection: connection)
    }

    /// The newest certificate (the sign-in one until ``renewCertificate()`` succeeds).
    public var certificate: NodeCertificate {
        connection.currentCertificate ?? session.certificate
    }

    /// The network's ICE servers: the sign-in ones until ``renewCertificate()`` brings fresh TURN
    /// credentials.
    public var iceServers: [ICEServerConfiguration] {
        connection.currentICEServers ?? session.configuration.iceServers
    }

    /// Whether the connection is still open.
    public var isConnected: Bool { connection.isOpen }

    /// Asks the seed to relay `signal` to node `to`. Returns once queued; a refusal arrives on ``failures``.
    public func send(signal: SignalPayload, to: NodeID) throws(SeedClientError) {
        try connection.send(.signal(to: to, payload: signal))
    }

    /// Obtains a fresh certificate with a new expiry.
    @discardableResult
    public func renewCertificate() async throws(SeedClientError) -> NodeCertificate {
        try await connection.renew()
    }

    /// The registered nodes nearest this one on the ring, nearest first (empty when it is alone): for a
    /// node that lost every link and must rejoin.
    public func findPeers() async throws(SeedClientError) -> [NodeID] {
        try await connection.findPeers()
    }

    /// Sends a keepalive now (the client also sends them periodically by itself).
    public func sendKeepalive() throws(SeedClientError) {
        try connection.send(.keepalive(nonce: 0))
    }

    /// Closes the connection; the seed unregisters the node. Safe to call more than once.
    public func close() async {
        await connection.close()
    }
}

/// The connection behind a ``SeedClient``: one task runs the WebSocket; state shared with callers
/// sits behind a mutex.
final class SeedConnection: Sendable {
    private enum Outgoing: Sendable {
        case frame([UInt8])
        case close
    }

    /// A caller waiting for the seed's answer to a request; the seed answers each kind in order.
    private struct Waiter<Value: Sendable> {
        var id: UInt64
        var continuation: CheckedContinuation<Result<Value, SeedClientError>, Never>
    }

    private struct State {
        var signIn: CheckedContinuation<Result<SignInResponse, SeedClientError>, Never>?
        var renewals: [Waiter<NodeCertificate>] = []
        var peerLookups: [Waiter<[NodeID]>] = []
        var nextRequestID: UInt64 = 0
        var certificate: NodeCertificate?
        var iceServers: [ICEServerConfiguration]?
        var isOpen = true
        var task: Task<Void, Never>?
        var keepalive: Task<Void, Never>?
        var signInTimeout: Task<Void, Never>?
        /// A sign-in that waits for the connection's challenge to make its resume claim.
        var awaitingChallenge: (request: SignInRequest, claim: @Sendable ([UInt8]) -> SignInResume?)?
    }

    let signals: AsyncStream<(from: NodeID, payload: SignalPayload)>
    private let signalContinuation: AsyncStream<(from: NodeID, payload: SignalPayload)>.Continuation
    let failures: AsyncStream<SeedErrorMessage>
    private let failureContinuation: AsyncStream<SeedErrorMessage>.Continuation
    private let outgoing: AsyncStream<Outgoing>
    private let outgoingContinuation: AsyncStream<Outgoing>.Continuation
    private let state = Mutex(State())
    private let options: SeedClient.Options
    /// For a `wss://` seed: the trust roots its certificate must chain to.
    private let tls: TLSConfiguration?
    private let logger: Logger

    init(options: SeedClient.Options, tls: TLSConfiguration?, logger: Logger) {
        self.options = options
        self.tls = tls
        self.logger = logger
        (signals, signalContinuation) = AsyncStream.makeStream(of: (from: NodeID, payload: SignalPayload).self)
        (failures, failureContinuation) = AsyncStream.makeStream(of: SeedErrorMessage.self, bufferingPolicy: .bufferingNewest(256))
        (outgoing, outgoingContinuation) = AsyncStream.makeStream(of: Outgoing.self)
    }

    var isOpen: Bool { state.withLock { $0.isOpen } }
    var currentCertificate: NodeCertificate? { state.withLock { $0.certificate } }
    var currentICEServers: [ICEServerConfiguration]? { state.withLock { $0.iceServers } }

    /// Connects and signs in with `request`; with `claim`, once the seed's challenge has come, with the
    /// resume claim that answers it.
    func open(
        endpoint: String, signIn request: SignInRequest, claim: (@Sendable ([UInt8]) -> SignInResume?)?
    ) async throws(SeedClientError) -> SignInResponse {
        let result = await withCheckedContinuation { continuation in
            state.withLock { state in
                state.signIn = continuation
                if let claim { state.awaitingChallenge = (request, claim) }
            }
            let task = Task { await self.run(endpoint: endpoint, signIn: claim == nil ? request : nil) }
            let timeout = Task {
                try? await options.clock.sleep(for: options.signInTimeout)
                if !Task.isCancelled { self.resolveSignIn(.failure(.timedOut)) }
            }
            let resolved = state.withLock { state in
                state.task = task
                state.signInTimeout = timeout
                return state.signIn == nil
            }
            if resolved { timeout.cancel() }
        }
        switch result {
        case .success(let response):
            return response
        case .failure(let error):
            await close()
            throw error
        }
    }

    func send(_ frame: SeedFrame) throws(SeedClientError) {
        guard isOpen else { throw .closed }
        if case .terminated = outgoingContinuation.yield(.frame(frame.encoded())) { throw .closed }
    }

    func renew() async throws(SeedClientError) -> NodeCertificate {
        try await request(.renewCertificate, waiters: \.renewals)
    }

    func findPeers() async throws(SeedClientError) -> [NodeID] {
        try await request(.findPeers, waiters: \.peerLookups)
    }

    /// Sends `frame` and waits, at most `requestTimeout`, for the answer that resolves the first waiter
    /// in `waiters`.
    private func request<Value: Sendable>(
        _ frame: SeedFrame, waiters: WritableKeyPath<State, [Waiter<Value>]> & Sendable
    ) async throws(SeedClientError) -> Value {
        let result = await withCheckedContinuation { continuation in
            let id: UInt64? = state.withLock { state in
                guard state.isOpen else { return nil }
                state.nextRequestID += 1
                state[keyPath: waiters].append(Waiter(id: state.nextRequestID, continuation: continuation))
                return state.nextRequestID
            }
            guard let id else {
                continuation.resume(returning: .failure(.closed))
                return
            }
            outgoingContinuation.yield(.frame(frame.encoded()))
            Task {
                try? await options.clock.sleep(for: options.requestTimeout)
                let pending = state.withLock { state -> CheckedContinuation<Result<Value, SeedClientError>, Never>? in
                    guard let index = state[keyPath: waiters].firstIndex(where: { $0.id == id }) else { return nil }
                    return state[keyPath: waiters].remove(at: index).continuation
                }
                pending?.resume(returning: .failure(.timedOut))
            }
        }
        return try result.get()
    }

    func close() async {
        let task = state.withLock { $0.task }
        outgoingContinuation.yield(.close)
        outgoingContinuation.finish()
        await task?.value
    }

    /// Runs the connection; sends `request` at once, or (when `nil`) the sign-in made on the challenge.
    private func run(endpoint: String, signIn request: SignInRequest?) async {
        var configuration = WebSocketClientConfiguration(maxFrameSize: SeedLimits.frameBytes)
        configuration.closeTimeout = options.closeTimeout
        var failure: SeedClientError = .closed
        do {
            try await WebSocketClient.connect(
                url: endpoint, configuration: configuration, tlsConfiguration: tls, logger: logger
            ) {
                inbound, outbound, _ in
                if let request { try await outbound.write(.binary(ByteBuffer(bytes: SeedFrame.signIn(request).encoded()))) }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await item in self.outgoing {
                            guard case .frame(let bytes) = item else { return }
                            do { try await outbound.write(.binary(ByteBuffer(bytes: bytes))) } catch { return }
                        }
                    }
                    group.addTask {
                        do {
                            for try await message in inbound.messages(maxSize: SeedLimits.frameBytes) {
                                self.receive(message)
                            }
                        } catch {
                            self.logger.debug("seed connection ended", metadata: ["error": "\(error)"])
                        }
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
        } catch {
            if let rejected = SeedClientTLS.certificateFailure(error, endpoint: endpoint) {
                failure = .untrustedCertificate(rejected)
            } else {
                failure = .connectionFailed(SeedConnectionFailure.describe(error, endpoint: endpoint))
            }
        }
        connectionEnded(failure)
    }

    private func receive(_ message: WebSocketMessage) {
        guard case .binary(let buffer) = message else {
            logger.warning("seed sent a text frame; ignored")
            return
        }
        let frame: SeedFrame
        do {
            frame = try SeedFrame(decoding: Array(buffer.readableBytesView))
        } catch {
            logger.warning("seed sent an undecodable frame; ignored", metadata: ["error": "\(error)"])
            return
        }
        switch frame {
        case .challenge(let nonce):
            answer(challenge: nonce)
        case .signedIn(let response):
            state.withLock { $0.certificate = response.certificate }
            startKeepalive(every: .milliseconds(Int64(response.keepaliveIntervalMilliseconds)))
            resolveSignIn(.success(response))
        case .relayedSignal(let from, let payload):
            signalContinuation.yield((from: from, payload: payload))
        case .certificateRenewed(let certificate, let iceServers):
            let pending = state.withLock { state in
                state.certificate = certificate
                state.iceServers = iceServers
                return state.renewals.isEmpty ? nil : state.renewals.removeFirst().continuation
            }
            pending?.resume(returning: .success(certificate))
        case .error(let error):
            let beforeSignIn = state.withLock { $0.signIn != nil }
            if beforeSignIn {
                resolveSignIn(.failure(.rejected(error)))
            } else {
                failureContinuation.yield(error)
            }
        case .peersFound(let peers):
            let pending = state.withLock { state in
                state.peerLookups.isEmpty ? nil : state.peerLookups.removeFirst().continuation
            }
            pending?.resume(returning: .success(peers))
        case .keepaliveAck:
            break
        case .signIn, .renewCertificate, .signal, .keepalive, .findPeers:
            logger.warning("seed sent a client-only frame; ignored")
        }
    }

    /// Sends the sign-in whose resume claim waited for the connection's challenge.
    private func answer(challenge: [UInt8]) {
        guard let waiting = state.withLock({ state in
            defer { state.awaitingChallenge = nil }
            return state.awaitingChallenge
        }) else { return }
        guard let claim = waiting.claim(challenge) else {
            resolveSignIn(.failure(.protocolViolation("could not sign the resume claim")))
            return
        }
        var request = waiting.request
        request.resume = claim
        outgoingContinuation.yield(.frame(SeedFrame.signIn(request).encoded()))
    }

    private func startKeepalive(every interval: Duration) {
        let task = Task { [outgoingContinuation, clock = options.clock] in
            while !Task.isCancelled {
                try? await clock.sleep(for: interval)
                if Task.isCancelled { return }
                if case .terminated = outgoingContinuation.yield(.frame(SeedFrame.keepalive(nonce: 0).encoded())) {
                    return
                }
            }
        }
        state.withLock { $0.keepalive = task }
    }

    private func resolveSignIn(_ result: Result<SignInResponse, SeedClientError>) {
        let (continuation, timeout) = state.withLock { state in
            defer {
                state.signIn = nil
                state.signInTimeout = nil
            }
            return (state.signIn, state.signInTimeout)
        }
        timeout?.cancel()
        continuation?.resume(returning: result)
    }

    private func connectionEnded(_ failure: SeedClientError) {
        let (renewals, peerLookups, keepalive) = state.withLock { state in
            state.isOpen = false
            defer {
                state.renewals = []
                state.peerLookups = []
            }
            return (state.renewals, state.peerLookups, state.keepalive)
        }
        keepalive?.cancel()
        resolveSignIn(.failure(failure))
        for renewal in renewals { renewal.continuation.resume(returning: .failure(.closed)) }
        for lookup in peerLookups { lookup.continuation.resume(returning: .failure(.closed)) }
        outgoingContinuation.finish()
        signalContinuation.finish()
        failureContinuation.finish()
    }
}
