import ColonioCore
import Crypto
import Logging
import WSCore

/// The seed's side of one WebSocket: decodes frames, signs in, relays signals, answers keepalives.
///
/// Runs inside the connection's task, so its state needs no locks. Every refused frame produces an
/// error frame and a log line; nothing a client sends ends the seed or affects other connections.
struct SeedConnectionHandler {
    private struct Identity {
        var network: NetworkDefinition
        var nodeID: NodeID
        var publicKey: [UInt8]
    }

    private let context: SeedContext
    /// The network named in the endpoint path.
    private let pathNetwork: String
    let mailbox: SeedMailbox
    private var logger: Logger
    private var limiter: FrameRateLimiter
    private var identity: Identity?
    /// Rate-limit refusals are logged at most once a second so a flood cannot flood the log.
    private var lastRateLimitLog: Int64?

    init(context: SeedContext, pathNetwork: String, logger: Logger) {
        self.context = context
        self.pathNetwork = pathNetwork
        let now = context.now()
        self.mailbox = SeedMailbox(queueLimit: context.configuration.limits.outboundQueueFrames, now: now)
        self.limiter = FrameRateLimiter(framesPerSecond: context.configuration.limits.framesPerSecond, now: now)
        var logger = logger
        logger[metadataKey: "network"] = "\(pathNetwork)"
        self.logger = logger
    }

    /// Handles one complete WebSocket message.
    mutating func receive(_ message: WebSocketMessage) async {
        let now = context.now()
        mailbox.touch(now: now)
        guard limiter.admit(now: now) else {
            let log = lastRateLimitLog.map { now - $0 >= 1000 } ?? true
            if log { lastRateLimitLog = now }
            reject(.rateLimited, "more than \(context.configuration.limits.framesPerSecond) frames per second; slow down",
                   log: log)
            return
        }
        guard case .binary(let buffer) = message else {
            reject(.malformedFrame, "text frames are not accepted; send SeedFrame as binary frames")
            return
        }
        let limit = context.configuration.limits.maximumFrameBytes
        guard buffer.readableBytes <= limit else {
            reject(.frameTooLarge, "frame of \(buffer.readableBytes) bytes exceeds the limit of \(limit) bytes")
            return
        }
        let frame: SeedFrame
        do {
            frame = try SeedFrame(decoding: Array(buffer.readableBytesView))
        } catch {
            reject(.malformedFrame, "frame is not a valid SeedFrame (\(error))")
            return
        }
        await handle(frame)
    }

    private mutating func handle(_ frame: SeedFrame) async {
        switch frame {
        case .signIn(let request): await signIn(request)
        case .renewCertificate: renew()
        case .signal(let to, let payload): await relay(payload, to: to)
        case .keepalive(let nonce): mailbox.deliver(.keepaliveAck(nonce: nonce))
        case .signedIn, .certificateRenewed, .relayedSignal, .error, .keepaliveAck:
            reject(.unexpectedFrame, "clients may send only signIn, renewCertificate, signal and keepalive")
        }
    }

    private mutating func signIn(_ request: SignInRequest) async {
        guard identity == nil else {
            reject(.alreadySignedIn, "this connection is already signed in; open a new one for another node")
            return
        }
        guard request.network == pathNetwork, let network = context.networks[request.network] else {
            reject(.unknownNetwork, "this seed serves no network \"\(request.network)\" at /v1/networks/\(pathNetwork)/ws")
            return
        }
        guard network.tokens.contains(where: { constantTimeEqual($0, request.token) }) else {
            reject(.badToken, "the token is not valid for network \"\(network.name)\"")
            return
        }
        guard request.publicKey.count == SeedLimits.publicKeyBytes,
            (try? Curve25519.Signing.PublicKey(rawRepresentation: request.publicKey)) != nil
        else {
            reject(.badPublicKey, "publicKey must be a 32-byte Ed25519 public key")
            return
        }
        let registration: NodeRegistration
        do {
            registration = try await context.registry.register(
                network: network.name, maximumNodes: network.maximumNodes,
                predecessors: Int(network.routing.predecessorCount), successors: Int(network.routing.successorCount),
                mailbox: mailbox)
        } catch {
            switch error {
            case .networkFull(let limit):
                reject(.networkFull, "network \"\(network.name)\" already has its maximum of \(limit) nodes; retry later")
            }
            return
        }
        let nodeID = registration.nodeID
        identity = Identity(network: network, nodeID: nodeID, publicKey: request.publicKey)
        logger[metadataKey: "node"] = "\(nodeID.hex)"
        context.metrics.nodeRegistered(network: network.name)
        let now = context.unixSeconds()
        let configuration = NetworkConfiguration(
            name: network.name, iceServers: network.iceServers.map { $0.resolved(for: nodeID, nowUnixSeconds: now) },
            space: network.space, routing: network.routing, kvs: network.kvs, spread: network.spread)
        let response = SignInResponse(
            nodeID: nodeID,
            certificate: context.certificate(network: network.name, nodeID: nodeID, publicKey: request.publicKey),
            seedPublicKey: context.signingKey.publicKeyBytes, configuration: configuration,
            bootstrapPeers: registration.bootstrapPeers,
            keepaliveIntervalMilliseconds: UInt32(context.configuration.limits.keepaliveIntervalMilliseconds))
        mailbox.deliver(.signedIn(response))
        logger.debug("node signed in", metadata: ["bootstrapPeers": "\(registration.bootstrapPeers.count)"])
    }

    private func renew() {
        guard let identity else {
            reject(.notSignedIn, "sign in before renewing a certificate")
            return
        }
        mailbox.deliver(
            .certificateRenewed(
                context.certificate(network: identity.network.name, nodeID: identity.nodeID, publicKey: identity.publicKey)))
        logger.debug("certificate renewed")
    }

    private func relay(_ payload: SignalPayload, to destination: NodeID) async {
        guard let identity else {
            reject(.notSignedIn, "sign in before sending signals", peer: destination, sessionID: payload.sessionID)
            return
        }
        // Lookups are per network, so a node of another network is simply unknown here.
        guard destination != identity.nodeID,
            let target = await context.registry.mailbox(network: identity.network.name, nodeID: destination)
        else {
            reject(.unknownPeer, "no node \(destination.hex) is signed in to this network",
                   peer: destination, sessionID: payload.sessionID)
            return
        }
        if target.deliver(.relayedSignal(from: identity.nodeID, payload: payload)) {
            context.metrics.signalRelayed(network: identity.network.name)
        } else {
            reject(.unknownPeer, "node \(destination.hex) is not reading its connection; signal dropped",
                   peer: destination, sessionID: payload.sessionID)
        }
    }

    /// Unregisters the node; called once when the connection ends.
    func connectionClosed() async {
        guard let identity else { return }
        await context.registry.unregister(network: identity.network.name, nodeID: identity.nodeID)
        context.metrics.nodeUnregistered(network: identity.network.name)
        logger.debug("node unregistered")
    }

    private func reject(
        _ code: SeedErrorCode, _ message: String, peer: NodeID? = nil, sessionID: UInt64? = nil, log: Bool = true
    ) {
        context.metrics.rejected(code)
        if log { logger.notice("refused a frame", metadata: ["code": "\(code.name)", "reason": "\(message)"]) }
        mailbox.deliver(.error(SeedErrorMessage(code: code, message: message, peer: peer, sessionID: sessionID)))
    }
}

/// Compares secrets in time independent of where they differ.
func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
    let a = Array(lhs.utf8)
    let b = Array(rhs.utf8)
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count) | (a.count == b.count ? 0 : 1)
    for index in 0..<min(a.count, b.count) { difference |= a[index] ^ b[index] }
    return difference == 0
}
