import ColonioCore
import Crypto
import Logging
import NIOCore

/// The seed's side of one WebSocket: decodes messages, signs in, relays signals, answers keepalives.
///
/// Called only on the connection's event loop (by ``SeedWebSocketHandler``), so its state needs no
/// locks. Every refused message produces an error frame and a log line; nothing a client sends ends
/// the seed or affects other connections.
///
/// With a ``SynchronousNetworkRegistry`` (the in-memory default) each message is handled completely
/// in ``receive(_:)``. Another registry is asynchronous: ``receive(_:)`` then returns the registry
/// call still needed as a ``Pending``, the caller runs ``resolve(_:registry:mailbox:)`` outside the
/// event loop and hands the result back to ``complete(_:with:)``.
final class SeedConnectionHandler {
    /// One complete WebSocket message.
    enum Message {
        case binary(ByteBuffer)
        /// A text message; only its kind matters, since the seed refuses it.
        case text
    }

    /// The registry call a message still needs.
    enum Pending: Sendable {
        case register(
            network: String, nodeID: NodeID?, maximumNodes: Int, predecessors: Int, successors: Int, publicKey: [UInt8])
        case relay(network: String, from: NodeID, to: NodeID, payload: SignalPayload)
        case findPeers(network: String, nodeID: NodeID, predecessors: Int, successors: Int)
    }

    /// What the registry answered for a ``Pending`` call.
    enum Resolution: Sendable {
        /// For a resumed ID, `displaced` is the connection that held it until now, if any.
        case registered(Result<NodeRegistration, NetworkRegistryError>, displaced: SeedMailbox?)
        case target(SeedMailbox?)
        /// An asynchronous registry relayed the signal itself (possibly through another seed).
        case relayed(SignalDelivery)
        case peers([NodeID])
    }

    /// How old a resume claim may be, in seconds.
    static let resumeClockSkewSeconds: UInt64 = 300
    /// How far ahead of the seed's clock a resume claim may be dated, in seconds: only clock jitter.
    /// A claim dated further ahead would stay replayable for longer than ``resumeClockSkewSeconds``.
    static let resumeFutureToleranceSeconds: UInt64 = 5

    private struct Identity {
        var network: String
        var nodeID: NodeID
        var publicKey: [UInt8]
    }

    private let context: SeedContext
    /// The network named in the endpoint path.
    private let pathNetwork: String
    let mailbox: SeedMailbox
    private var logger: Logger
    private var limiter: TokenBucket
    private var identity: Identity?
    /// Random bytes sent as this connection's first frame; a resume claim made on it must sign them, so
    /// a claim seen once (by a relay, in a log) cannot take the ID on another connection.
    private let challenge: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<SeedLimits.challengeBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }()
    /// Set when the connection ended; a registration an asynchronous registry completes afterwards is
    /// undone at once.
    private var isClosed = false

    init(context: SeedContext, pathNetwork: String, mailbox: SeedMailbox, logger: Logger) {
        self.context = context
        self.pathNetwork = pathNetwork
        self.mailbox = mailbox
        self.limiter = TokenBucket(perSecond: context.configuration.limits.framesPerSecond, now: context.now())
        var logger = logger
        logger[metadataKey: "network"] = "\(pathNetwork)"
        self.logger = logger
    }

    /// Sends the connection's challenge: the first frame, right after the WebSocket upgrade.
    func greet() {
        _ = mailbox.deliver(.challenge(nonce: challenge))
    }

    /// Handles one complete message; returns the registry call still to make when the registry is
    /// asynchronous, `nil` when the message has been handled.
    func receive(_ message: Message) -> Pending? {
        guard let pending = process(message) else { return nil }
        guard let registry = context.synchronousRegistry else { return pending }
        complete(pending, with: Self.resolve(pending, registry: registry, mailbox: mailbox))
        return nil
    }

    /// Makes `pending`'s call on a synchronous registry.
    private static func resolve(
        _ pending: Pending, registry: any SynchronousNetworkRegistry, mailbox: SeedMailbox
    ) -> Resolution {
        switch pending {
        case .register(let network, let nodeID, let maximumNodes, let predecessors, let successors, _):
            let displaced = nodeID.flatMap { registry.mailbox(network: network, nodeID: $0) }
            do {
                return .registered(
                    .success(
                        try registry.register(
                            network: network, nodeID: nodeID, maximumNodes: maximumNodes, predecessors: predecessors,
                            successors: successors, mailbox: mailbox)),
                    displaced: displaced)
            } catch {
                return .registered(.failure(error), displaced: nil)
            }
        case .relay(let network, _, let to, _):
            return .target(registry.mailbox(network: network, nodeID: to))
        case .findPeers(let network, let nodeID, let predecessors, let successors):
            return .peers(registry.nearest(network: network, to: nodeID, predecessors: predecessors, successors: successors))
        }
    }

    /// Makes `pending`'s call on an asynchronous registry (off the event loop).
    static func resolve(_ pending: Pending, registry: any NetworkRegistry, mailbox: SeedMailbox) async -> Resolution {
        switch pending {
        case .register(let network, let nodeID, let maximumNodes, let predecessors, let successors, _):
            var displaced: SeedMailbox?
            if let nodeID { displaced = await registry.mailbox(network: network, nodeID: nodeID) }
            do {
                return .registered(
                    .success(
                        try await registry.register(
                            network: network, nodeID: nodeID, maximumNodes: maximumNodes, predecessors: predecessors,
                            successors: successors, mailbox: mailbox)),
                    displaced: displaced)
            } catch {
                return .registered(.failure(error), displaced: nil)
            }
        case .relay(let network, let from, let to, let payload):
            guard to != from else { return .relayed(.unknownPeer) }
            let frame = SeedFrame.relayedSignal(from: from, payload: payload).encoded()
            return .relayed(await registry.relay(network: network, to: to, frame: frame))
        case .findPeers(let network, let nodeID, let predecessors, let successors):
            return .peers(
                await registry.nearest(network: network, to: nodeID, predecessors: predecessors, successors: successors))
        }
    }

    /// Finishes a message once its registry call has been made.
    func complete(_ pending: Pending, with resolution: Resolution) {
        switch (pending, resolution) {
        case (.register(let network, _, _, _, _, let publicKey), .registered(let result, let displaced)):
            if isClosed {
                if case .success(let registration) = result { unregister(network: network, nodeID: registration.nodeID) }
                return
            }
            if case .success = result, let displaced, displaced !== mailbox {
                // The ID moved to this connection: the old one must not go on signalling as it.
                context.metrics.closedConnection(reason: "displaced_by_resume")
                displaced.close(code: .policyViolation, reason: "another connection resumed this node ID")
            }
            completeSignIn(network: network, publicKey: publicKey, result: result)
        case (.relay(let network, let from, let to, let payload), .target(let target)):
            completeRelay(network: network, from: from, to: to, payload: payload, target: target)
        case (.relay(let network, _, let to, let payload), .relayed(let delivery)):
            completeRelay(network: network, to: to, sessionID: payload.sessionID, delivery: delivery)
        case (.findPeers, .peers(let peers)):
            if !isClosed { mailbox.deliver(.peersFound(peers)) }
        case (.register, _), (.relay, _), (.findPeers, _):
            assertionFailure("a registry resolution does not match its call")
        }
    }

    /// Unregisters the node; called once when the connection ends.
    func connectionClosed() {
        isClosed = true
        guard let identity else { return }
        unregister(network: identity.network, nodeID: identity.nodeID)
        context.metrics.nodeUnregistered(network: identity.network)
        logger.debug("node unregistered")
    }

    private func unregister(network: String, nodeID: NodeID) {
        if let registry = context.synchronousRegistry {
            registry.unregister(network: network, nodeID: nodeID, mailbox: mailbox)
        } else {
            // Nothing waits for this: the connection is gone, and the registry orders its own calls.
            let (registry, mailbox, node) = (context.registry, mailbox, TaskCapture((network, nodeID)))
            Task { await registry.unregister(network: node.value.0, nodeID: node.value.1, mailbox: mailbox) }
        }
    }

    // MARK: - Synchronous parts

    private func process(_ message: Message) -> Pending? {
        let now = context.now()
        mailbox.touch(now: now)
        guard limiter.admit(now: now) else {
            reject(.rateLimited, "more than \(context.configuration.limits.framesPerSecond) frames per second; slow down")
            return nil
        }
        guard case .binary(let buffer) = message else {
            reject(.malformedFrame, "text frames are not accepted; send SeedFrame as binary frames")
            return nil
        }
        let limit = context.configuration.limits.maximumFrameBytes
        guard buffer.readableBytes <= limit else {
            reject(.frameTooLarge, "frame of \(buffer.readableBytes) bytes exceeds the limit of \(limit) bytes")
            return nil
        }
        let frame: SeedFrame
        do {
            frame = try SeedFrame(decoding: Array(buffer.readableBytesView))
        } catch {
            reject(.malformedFrame, "frame is not a valid SeedFrame (\(error))")
            return nil
        }
        switch frame {
        case .signIn(let request):
            return prepareSignIn(request)
        case .renewCertificate:
            renew()
        case .signal(let to, let payload):
            guard let identity else {
                reject(.notSignedIn, "sign in before sending signals", peer: to, sessionID: payload.sessionID)
                return nil
            }
            return .relay(network: identity.network, from: identity.nodeID, to: to, payload: payload)
        case .keepalive(let nonce):
            mailbox.deliver(.keepaliveAck(nonce: nonce))
        case .findPeers:
            guard let identity, let network = context.networks[identity.network] else {
                reject(.notSignedIn, "sign in before asking for peers")
                return nil
            }
            return .findPeers(
                network: identity.network, nodeID: identity.nodeID,
                predecessors: Int(network.routing.predecessorCount), successors: Int(network.routing.successorCount))
        case .challenge, .signedIn, .certificateRenewed, .relayedSignal, .error, .keepaliveAck, .peersFound:
            reject(.unexpectedFrame, "clients may send only signIn, renewCertificate, signal, keepalive and findPeers")
        }
        return nil
    }

    private func prepareSignIn(_ request: SignInRequest) -> Pending? {
        guard identity == nil else {
            reject(.alreadySignedIn, "this connection is already signed in; open a new one for another node")
            return nil
        }
        // Guessing tokens over many connections: an address that failed too often waits.
        guard context.failedSignIns.mayTry(address: mailbox.address, now: context.now()) else {
            reject(
                .signInRateLimited,
                "too many failed sign-ins from this address; wait a minute, then sign in with a valid token")
            return nil
        }
        guard request.network == pathNetwork, let network = context.networks[request.network] else {
            failSignIn(.unknownNetwork, "this seed serves no network \"\(request.network)\" at /v1/networks/\(pathNetwork)/ws")
            return nil
        }
        guard network.tokens.contains(where: { constantTimeEqual($0, request.token) }) else {
            failSignIn(.badToken, "the token is not valid for network \"\(network.name)\"")
            return nil
        }
        // A small-order key (the identity, all zeros) would let anyone sign as the node this certificate names.
        if let defect = Ed25519Encoding.defect(ofPublicKey: request.publicKey) {
            failSignIn(.badPublicKey, "\(defect); send the public key of a freshly generated Ed25519 key pair")
            return nil
        }
        var resumedID: NodeID?
        if let resume = request.resume {
            if let refusal = refusal(of: resume, network: network.name, publicKey: request.publicKey) {
                failSignIn(.resumeRefused, refusal + "; sign in without resume to get a new node ID")
                return nil
            }
            resumedID = resume.certificate.nodeID
        }
        return .register(
            network: network.name, nodeID: resumedID, maximumNodes: network.maximumNodes,
            predecessors: Int(network.routing.predecessorCount), successors: Int(network.routing.successorCount),
            publicKey: request.publicKey)
    }

    /// Why a claim to keep an earlier ID is refused, or `nil` when it is sound.
    private func refusal(of resume: SignInResume, network: String, publicKey: [UInt8]) -> String? {
        let certificate = resume.certificate
        guard Ed25519Encoding.isStrictSignature(certificate.signature),
            context.signingKey.privateKey.publicKey.isValidSignature(certificate.signature, for: certificate.signedBytes)
        else { return "the certificate was not signed by this seed's key" }
        guard certificate.network == network else { return "the certificate is for network \"\(certificate.network)\"" }
        guard certificate.publicKey == publicKey else { return "the certificate is for another public key" }
        let now = context.unixSeconds()
        guard certificate.isValid(atUnixSeconds: now) else { return "the certificate expired at \(certificate.expiry)" }
        guard resume.unixSeconds <= now + Self.resumeFutureToleranceSeconds else {
            return "the claim is dated \(resume.unixSeconds - now) s ahead of the seed's clock (at most \(Self.resumeFutureToleranceSeconds) s); check the node's clock"
        }
        let skew = resume.unixSeconds > now ? resume.unixSeconds - now : now - resume.unixSeconds
        guard skew <= Self.resumeClockSkewSeconds else {
            return "the claim was signed at \(resume.unixSeconds), \(skew) s from the seed's clock (at most \(Self.resumeClockSkewSeconds) s)"
        }
        guard resume.challenge == challenge else {
            return "the claim does not answer this connection's challenge (a claim made for another connection, or none)"
        }
        guard Ed25519Encoding.isStrictSignature(resume.signature),
            let nodeKey = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey),
              nodeKey.isValidSignature(resume.signature, for: resume.signedBytes)
        else { return "the claim's signature does not match the public key" }
        return nil
    }

    private func completeSignIn(
        network name: String, publicKey: [UInt8], result: Result<NodeRegistration, NetworkRegistryError>
    ) {
        let registration: NodeRegistration
        switch result {
        case .success(let value):
            registration = value
        case .failure(.networkFull(let limit)):
            reject(.networkFull, "network \"\(name)\" already has its maximum of \(limit) nodes; retry later")
            return
        case .failure(.unavailable(let reason)):
            reject(
                .internalError,
                "the seed cannot reach its registry (\(reason)); retry in a few seconds, it reconnects by itself")
            return
        }
        guard let network = context.networks[name] else { return }
        let nodeID = registration.nodeID
        identity = Identity(network: name, nodeID: nodeID, publicKey: publicKey)
        mailbox.signedIn()
        logger[metadataKey: "node"] = "\(nodeID.hex)"
        context.metrics.nodeRegistered(network: name)
        let configuration = NetworkConfiguration(
            name: name, iceServers: context.iceServers(of: network, for: nodeID),
            space: network.space, routing: network.routing, kvs: network.kvs, spread: network.spread)
        let response = SignInResponse(
            nodeID: nodeID, certificate: context.certificate(network: name, nodeID: nodeID, publicKey: publicKey),
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
        // Time-limited TURN credentials expire like the certificate does: renew them together.
        let iceServers = context.networks[identity.network].map { context.iceServers(of: $0, for: identity.nodeID) } ?? []
        mailbox.deliver(
            .certificateRenewed(
                context.certificate(network: identity.network, nodeID: identity.nodeID, publicKey: identity.publicKey),
                iceServers: iceServers))
        logger.debug("certificate renewed")
    }

    private func completeRelay(
        network: String, from: NodeID, to destination: NodeID, payload: SignalPayload, target: SeedMailbox?
    ) {
        // Lookups are per network, so a node of another network is simply unknown here.
        guard destination != from, let target else {
            reject(.unknownPeer, "no node \(destination.hex) is signed in to this network",
                   peer: destination, sessionID: payload.sessionID)
            return
        }
        if target.deliver(.relayedSignal(from: from, payload: payload)) {
            context.metrics.signalRelayed(network: network)
        } else {
            reject(.unknownPeer, "node \(destination.hex) is not reading its connection; signal dropped",
                   peer: destination, sessionID: payload.sessionID)
        }
    }

    /// Reports what an asynchronous registry did with a signal.
    private func completeRelay(network: String, to destination: NodeID, sessionID: UInt64, delivery: SignalDelivery) {
        switch delivery {
        case .delivered:
            context.metrics.signalRelayed(network: network)
        case .unknownPeer:
            reject(.unknownPeer, "no node \(destination.hex) is signed in to this network",
                   peer: destination, sessionID: sessionID)
        case .notReading:
            reject(.unknownPeer, "node \(destination.hex) is not reading its connection; signal dropped",
                   peer: destination, sessionID: sessionID)
        case .registryUnavailable(let reason):
            reject(.internalError, "the seed cannot reach its registry (\(reason)); signal dropped, send it again shortly",
                   peer: destination, sessionID: sessionID)
        }
    }

    /// Refuses a sign-in and counts it against the client's address.
    private func failSignIn(_ code: SeedErrorCode, _ message: String) {
        context.failedSignIns.failed(address: mailbox.address, now: context.now())
        reject(code, message)
    }

    /// Sends an error frame, counts it, and logs it within the seed's refusal log budget. The message
    /// may quote what the client sent: it is escaped (a newline cannot start a forged log line) and cut
    /// to the schema's 1,024 bytes.
    private func reject(_ code: SeedErrorCode, _ message: String, peer: NodeID? = nil, sessionID: UInt64? = nil) {
        let message = UntrustedText.escaped(message, maximumBytes: SeedLimits.errorMessageBytes)
        context.metrics.rejected(code)
        context.logRefusal(
            "refused a frame", metadata: ["code": "\(code.name)", "reason": "\(message)"], logger: logger)
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
