/// One node's rules, written once: the composition of ``NodeMachine`` (ring routing), ``GeoInstance``
/// (location pub/sub) and ``KVSCoordinator``, the link lifecycle (``LinkNegotiation``: signaling, glare,
/// the certificate hello), and the seed session (sign-in, resume, refusals, peer search, certificate
/// renewal). Pure: inputs are application calls, seed frames, link events and timer ticks, each with the
/// time; the output of each is a list of ``NodeAction``s that a shell (native, browser, simulator)
/// carries out. Nothing here reads a clock, does I/O or signs anything.
public struct NodeController: Sendable {
    /// Everything that exists once the seed signed the node in.
    public struct Session: Sendable {
        public let nodeID: NodeID
        public let network: String
        public internal(set) var certificate: NodeCertificate
        public let seedPublicKey: [UInt8]
        public let configuration: NetworkConfiguration
        public internal(set) var machine: NodeMachine
        public internal(set) var geo: GeoInstance
        public internal(set) var kvs: KVSCoordinator
        /// Every link from its first signal until it closes.
        public internal(set) var links: [NodeID: LinkNegotiation] = [:]
        /// Requests of the application in flight (the node machine's request IDs).
        var applicationRequests: Set<UInt64> = []
        /// Which KVS operation each of the node machine's KVS requests carries.
        var kvsRequests: [UInt64: KVSClientOperationID] = [:]
        /// Requests delivered to the application, by the reply ID the shell answers with.
        var replies: [UInt64: ReplyToken] = [:]
        var nextReplyID: UInt64 = 1
        /// Publications waiting for a receipt, by the ID handed to the shell.
        var publications: [SpreadMessageID: UInt64] = [:]
        var nextPublicationID: UInt64 = 1
        /// When (Unix seconds) to ask the seed for a fresh certificate: halfway through its life.
        var renewCertificateAt: UInt64 = 0
        var peerSearch: PeerSearchSchedule
        /// Whether a peer search is with the seed (one at a time).
        var findingPeers = false
        /// Until when the seed's "unknown peer" may only mean the peer has not returned yet.
        var seedReturnGraceUntil: MonotonicTime?
        /// Peers whose authenticated link closed, and until when a new link to them signals through the
        /// seed (see ``NodeController/openLink(to:now:)``).
        var signalThroughSeedUntil: [NodeID: MonotonicTime] = [:]
        /// Signals for the overlay waiting for the shell's signature, and signals from the overlay waiting
        /// for its check (see `NodeController+OverlaySignals`).
        var signalsToSign = InOrderQueue<OutgoingSignal, [UInt8]>(capacity: NodeController.signalsToSignCapacity)
        var signalsToCheck = InOrderQueue<IncomingSignal, Bool>(capacity: NodeController.signalsToCheckCapacity)

        /// Links whose peer passed the hello.
        public var authenticatedPeers: [NodeID] { links.values.filter { $0.isAuthenticated }.map { $0.peer }.sorted() }
        public var authenticatedLinkCount: Int { links.values.reduce(0) { $0 + ($1.isAuthenticated ? 1 : 0) } }
    }

    public let settings: NodeControllerSettings
    public internal(set) var session: Session?
    /// Whether the shell's seed connection is open.
    public internal(set) var seedConnected = false
    /// The network of a sign-in under way.
    private var signInNetwork: String?
    /// Token and public key of a resume under way (the sign-in that claims the session's ID back).
    private var resuming: (token: String, publicKey: [UInt8])?
    /// The current seed connection's challenge (its first frame), which a resume claim signs. A resume
    /// under way while it is `nil` waits for it.
    private var seedChallenge: [UInt8]?
    /// After the seed refused to restore the ID: the sign-in afresh still to make, if the connection closes first.
    private var signInAfresh: (network: String, token: String, publicKey: [UInt8])?
    /// Seed reconnection: whether an attempt is under way, when the next is due, and the delay after that.
    private var seedConnecting = false
    private var seedRetryAt: MonotonicTime?
    private var seedRetryDelay: UInt64 = 0
    var random: SplitMix64
    /// IDs of signing and checking steps, unique for the controller's life (see ``InOrderQueue``).
    var nextSignalStepID: UInt64 = 1
    /// The wall clock as of the latest input that carried it: certificate expiry of overlay signals.
    var latestUnixSeconds: UInt64 = 0
    /// Kept across sessions: a node that signs in again under a new ID keeps them.
    /// As UTF-8 bytes: hashing a `String` needs Unicode normalization data the Embedded build lacks.
    var handlers: Set<[UInt8]> = []
    var subscriptions: Set<[UInt8]> = []
    public internal(set) var position: Position?
    /// What the current input produced so far.
    var actions: [NodeAction] = []

    /// A node that is not signed in; `randomSeed` seeds link session IDs and the KVS's ballots.
    public init(settings: NodeControllerSettings = NodeControllerSettings(), randomSeed: UInt64) {
        self.settings = settings
        random = SplitMix64(seed: randomSeed)
    }

    public var nodeID: NodeID? { session?.nodeID }

    /// Hands over what the current input produced.
    mutating func take() -> [NodeAction] {
        defer { actions.removeAll(keepingCapacity: true) }
        return actions
    }

    mutating func emit(_ action: NodeAction) {
        actions.append(action)
    }

    mutating func log(_ level: NodeLogLevel, _ text: String) {
        actions.append(.log(level, text))
    }

    // MARK: - Seed

    /// The shell opened a connection to the seed: sign in to `network` with `token` and the node's key.
    public mutating func signIn(network: String, token: String, publicKey: [UInt8]) throws(NodeCallError) -> [NodeAction] {
        guard session == nil else { throw .alreadyConnected }
        signInNetwork = network
        seedConnected = true
        seedConnecting = false
        signInAfresh = nil
        emit(.sendToSeed(.signIn(SignInRequest(network: network, token: token, publicKey: publicKey))))
        return take()
    }

    /// A new connection to the seed is open after the last one closed: claim this node's ID back (the
    /// shell signs the claim with the node's key).
    public mutating func seedReopened(token: String, publicKey: [UInt8], unixSeconds: UInt64) -> [NodeAction] {
        seedConnecting = false
        guard session != nil else {
            // The seed had refused to restore the ID and the connection closed before the new sign-in.
            if let afresh = signInAfresh {
                signInAfresh = nil
                signInNetwork = afresh.network
                seedConnected = true
                emit(.sendToSeed(.signIn(SignInRequest(network: afresh.network, token: afresh.token, publicKey: afresh.publicKey))))
            }
            return take()
        }
        seedConnected = true
        resuming = (token, publicKey)
        if let challenge = seedChallenge { claimIDBack(answering: challenge, unixSeconds: unixSeconds) }
        return take()
    }

    /// Asks the shell to sign and send the claim to the session's ID for this connection's challenge.
    private mutating func claimIDBack(answering challenge: [UInt8], unixSeconds: UInt64) {
        guard let session, let resuming else { return }
        let claim = SignInResume(
            certificate: session.certificate, unixSeconds: unixSeconds, challenge: challenge,
            signature: [UInt8](repeating: 0, count: SeedLimits.signatureBytes))
        let request = SignInRequest(network: session.network, token: resuming.token, publicKey: resuming.publicKey, resume: claim)
        emit(.signAndSendResume(signedBytes: claim.signedBytes, request: request))
    }

    /// The seed connection closed, or an attempt to reopen it failed. Signaling goes on over the overlay;
    /// the controller asks for a new connection (``NodeAction/connectToSeed``) after a jittered delay
    /// that doubles with every failed attempt.
    public mutating func seedClosed(now: MonotonicTime) -> [NodeAction] {
        let wasConnected = seedConnected
        seedConnected = false
        resuming = nil
        seedChallenge = nil
        session?.findingPeers = false
        guard session != nil || signInAfresh != nil else {
            // Never signed in: the application's connect fails; nothing to return to.
            seedConnecting = false
            return []
        }
        if wasConnected && !seedConnecting {
            seedRetryDelay = settings.reconnectFirstDelayMilliseconds
            log(.notice, "seed connection lost; reconnecting (signaling continues over the overlay)")
        } else {
            // Never below the first delay, so that no sequence of closes can make attempts back to back.
            seedRetryDelay = max(
                settings.reconnectFirstDelayMilliseconds, min(seedRetryDelay * 2, settings.reconnectMaximumDelayMilliseconds))
        }
        seedConnecting = false
        let jittered = seedRetryDelay / 2 + random.next() % (seedRetryDelay + 1)
        seedRetryAt = now.adding(milliseconds: jittered)
        return take()
    }

    /// Whether a seed reconnection is due now; marks it under way.
    private mutating func seedReconnectionDue(now: MonotonicTime) -> Bool {
        guard !seedConnected, !seedConnecting, session != nil || signInAfresh != nil, let at = seedRetryAt, now >= at
        else { return false }
        seedConnecting = true
        seedRetryAt = nil
        return true
    }

    /// A frame from the seed.
    public mutating func seedFrame(_ frame: SeedFrame, now: MonotonicTime, unixSeconds: UInt64) -> [NodeAction] {
        latestUnixSeconds = unixSeconds
        switch frame {
        case .challenge(let nonce):
            // Only the connection's first challenge counts: a claim already made is not made again.
            let resumeWaiting = resuming != nil && seedChallenge == nil
            seedChallenge = nonce
            if resumeWaiting { claimIDBack(answering: nonce, unixSeconds: unixSeconds) }
        case .signedIn(let response) where session != nil:
            resumed(response, now: now, unixSeconds: unixSeconds)
        case .signedIn(let response):
            signedIn(response, now: now, unixSeconds: unixSeconds)
        case .relayedSignal(let from, let payload):
            receiveSignal(payload, from: from, viaSeed: true, now: now)
        case .certificateRenewed(let certificate, let iceServers):
            guard session != nil else { break }
            session!.certificate = certificate
            session!.renewCertificateAt = Self.renewalTime(expiry: certificate.expiry, issued: unixSeconds)
            emit(.useICEServers(iceServers))
            log(.info, "certificate renewed; it expires at \(certificate.expiry) (Unix seconds)")
        case .error(let error):
            seedRefused(error, now: now)
        case .peersFound(let peers):
            session?.findingPeers = false
            if session?.links.isEmpty == true { rejoin(through: peers, now: now) }
        case .keepaliveAck:
            break
        case .signIn, .renewCertificate, .signal, .keepalive, .findPeers:
            log(.warning, "the seed sent a frame only clients send; ignored")
        }
        return take()
    }

    /// The seed's encoded frame (see ``seedFrame(_:now:unixSeconds:)``); an undecodable one is logged and dropped.
    public mutating func seedBytes(_ bytes: [UInt8], now: MonotonicTime, unixSeconds: UInt64) -> [NodeAction] {
        do {
            return seedFrame(try SeedFrame(decoding: bytes), now: now, unixSeconds: unixSeconds)
        } catch {
            return [.log(.warning, "the seed sent an undecodable frame: \(error)")]
        }
    }

    static func renewalTime(expiry: UInt64, issued: UInt64) -> UInt64 {
        expiry > issued ? issued + (expiry - issued) / 2 : issued + 1
    }

    private mutating func signedIn(_ response: SignInResponse, now: MonotonicTime, unixSeconds: UInt64) {
        guard let network = signInNetwork else { return }
        signInNetwork = nil
        signInAfresh = nil
        let configuration = response.configuration
        var newSession = Session(
            nodeID: response.nodeID, network: network, certificate: response.certificate,
            seedPublicKey: response.seedPublicKey, configuration: configuration,
            machine: NodeMachine(settings: configuration.routing),
            geo: GeoInstance(id: response.nodeID, space: configuration.space, settings: configuration.spread),
            kvs: KVSCoordinator(
                nodeID: response.nodeID, settings: configuration.kvs,
                jointMilliseconds: KVSCoordinator.jointMilliseconds(routing: configuration.routing, kvs: configuration.kvs),
                randomSeed: random.next(), now: now),
            peerSearch: PeerSearchSchedule(
                firstDelayMilliseconds: settings.peerSearchFirstDelayMilliseconds,
                maximumDelayMilliseconds: settings.peerSearchMaximumDelayMilliseconds))
        newSession.renewCertificateAt = Self.renewalTime(expiry: response.certificate.expiry, issued: unixSeconds)
        for name in handlers { newSession.machine.registerHandler(String(decoding: name, as: UTF8.self)) }
        for topic in subscriptions { newSession.geo.subscribe(String(decoding: topic, as: UTF8.self)) }
        let started = newSession.machine.start(localID: response.nodeID, bootstrapPeers: response.bootstrapPeers, now: now)
        session = newSession
        emit(.signedIn(response))
        interpret(started, now: now)
        if let position, let placed = try? session?.geo.setPosition(position, now: now) {
            interpret(placed, now: now)
        }
        if let discovered = session?.geo.discovered(response.bootstrapPeers, now: now) {
            interpret(discovered, now: now)
        }
    }

    /// The seed took the node back under its ID.
    private mutating func resumed(_ response: SignInResponse, now: MonotonicTime, unixSeconds: UInt64) {
        guard resuming != nil, response.nodeID == session?.nodeID else { return }
        resuming = nil
        session!.seedReturnGraceUntil = now.adding(milliseconds: settings.seedReturnGraceMilliseconds)
        session!.certificate = response.certificate
        session!.renewCertificateAt = Self.renewalTime(expiry: response.certificate.expiry, issued: unixSeconds)
        emit(.useICEServers(response.configuration.iceServers))
        emit(.seedRestored)
        log(.notice, "seed connection restored; \(response.bootstrapPeers.count) peers named")
        if session!.links.isEmpty { rejoin(through: response.bootstrapPeers, now: now) }
    }

    private mutating func seedRefused(_ error: SeedErrorMessage, now: MonotonicTime) {
        if error.code == .resumeRefused, let (token, publicKey) = resuming, let network = session?.network {
            // The seed cannot give this node its ID back (another key, an expired certificate): start over
            // under a new one on the same connection. Waiting operations fail as `networkClosed`;
            // handlers, subscriptions and the position carry over.
            log(.warning, "the seed cannot restore this node's ID (\(error.message)); signing in again under a new one")
            stopSession(now: now)
            signInNetwork = network
            seedConnected = true
            signInAfresh = (network, token, publicKey)
            emit(.sendToSeed(.signIn(SignInRequest(network: network, token: token, publicKey: publicKey))))
            return
        }
        guard session != nil else {
            signInNetwork = nil
            emit(.signInFailed(error))
            return
        }
        // A signal to a node that has left is expected while the ring notices; anything else is not.
        log(error.code == .unknownPeer ? .debug : .warning, "the seed refused a frame: \(error.message)")
        guard error.code == .unknownPeer, let peer = error.peer else { return }
        // Soon after the seed came back, nodes are still returning to it: a peer it does not know yet is
        // not gone, and the link attempt waits for its connect timeout rather than count a failure.
        if let until = session!.seedReturnGraceUntil, now < until { return }
        // The seed does not know the peer: it has left the network, so pub/sub forgets it too.
        interpret(session!.geo.nodeLeft(peer, now: now), now: now)
        // That connection attempt cannot succeed.
        if let link = session?.links[peer], !link.isAuthenticated, error.sessionID == nil || error.sessionID == link.session {
            dropLink(peer, report: true, now: now)
        }
    }

    private mutating func rejoin(through peers: [NodeID], now: MonotonicTime) {
        guard !peers.isEmpty, session != nil else { return }
        log(.notice, "no links left; rejoining through \(peers.count) peers the seed named")
        interpret(session!.machine.rejoin(peers: peers, now: now), now: now)
        if let discovered = session?.geo.discovered(peers, now: now) { interpret(discovered, now: now) }
    }

    // MARK: - Timers and lifecycle

    /// The protocol timers: call every ~100 ms.
    public mutating func tick(now: MonotonicTime, unixSeconds: UInt64) -> [NodeAction] {
        latestUnixSeconds = unixSeconds
        if seedReconnectionDue(now: now) { emit(.connectToSeed) }
        guard session != nil else { return take() }
        if seedConnected && unixSeconds >= session!.renewCertificateAt {
            session!.renewCertificateAt = unixSeconds + settings.renewalRetrySeconds
            emit(.sendToSeed(.renewCertificate))
        }
        // A node without a single link (not even one being opened) asks the seed for the nodes nearest it.
        // While a search is under way or the seed is away, the schedule waits rather than count a try.
        let alone = session!.links.isEmpty
        if !alone || (seedConnected && !session!.findingPeers), session!.peerSearch.isDue(alone: alone, now: now) {
            session!.findingPeers = true
            emit(.sendToSeed(.findPeers))
        }
        interpret(session!.machine.tick(now: now), now: now)
        if session != nil { interpret(session!.geo.tick(now: now), now: now) }
        if session != nil { interpret(session!.kvs.tick(now: now), now: now) }
        if session != nil { repeatUnansweredOffers(now: now) }
        if session != nil { dropStalledLinks(now: now) }
        if session != nil { session!.signalThroughSeedUntil = session!.signalThroughSeedUntil.filter { now < $0.value } }
        if session != nil { closeExpiredLinks(now: now, unixSeconds: unixSeconds) }
        if session != nil { expireSignalSteps(now: now) }
        return take()
    }

    /// Repeats offers through the overlay that have had no answer for a while. The overlay does not
    /// acknowledge signals, and right after a crash it still routes some through the crashed node
    /// until its neighbours notice (the link timeout): without repeats, such a lost offer or answer
    /// cost the whole connect timeout. The peer ignores a repeat it has answered, but answers again.
    private mutating func repeatUnansweredOffers(now: MonotonicTime) {
        let interval = settings.signalRepeatMilliseconds
        let due = session!.links.values.filter { link in
            link.isOfferer && link.phase == .awaitingAnswer && !link.signalsViaSeed
                && now.milliseconds(since: link.lastSignaledAt ?? link.startedAt) >= interval
        }.map { $0.peer }.sorted()
        for peer in due {
            guard var link = session?.links[peer] else { continue }
            link.lastSignaledAt = now
            session!.links[peer] = link
            for signal in link.offerRepeat { sendSignal(signal, on: link, now: now) }
        }
    }

    /// Gives up links that did not authenticate within the connect timeout. The ring times out the links
    /// it asked for itself (and has already closed them by now); this catches the rest, such as a link
    /// the peer offered whose other side went away before it connected (a transport may never report
    /// such a connection closed), which would otherwise keep the node from ever counting as alone.
    private mutating func dropStalledLinks(now: MonotonicTime) {
        let timeout = UInt64(session!.configuration.routing.connectTimeoutMilliseconds)
        let stalled = session!.links.values
            .filter { !$0.isAuthenticated && now.milliseconds(since: $0.startedAt) >= timeout }
            .map { $0.peer }.sorted()
        for peer in stalled {
            log(.info, "gave up the link to \(peer): not authenticated within \(timeout) ms")
            dropLink(peer, report: true, now: now)
        }
    }

    /// Closes authenticated links whose peer's certificate has expired: the hello is the only proof a
    /// link carries, and no certificate is renewed over a link. The ring links the peer again (it has
    /// renewed its certificate halfway through its life), with a fresh hello.
    private mutating func closeExpiredLinks(now: MonotonicTime, unixSeconds: UInt64) {
        let expired = session!.links.values
            .filter { $0.peerCertificateExpired(atUnixSeconds: unixSeconds) }
            .map { $0.peer }.sorted()
        for peer in expired {
            guard let expiry = session?.links[peer]?.peerCertificateExpiry else { continue }
            log(.info, "closed the link to \(peer): its certificate expired at \(expiry) (Unix seconds)")
            dropLink(peer, report: true, now: now)
        }
    }

    /// Leaves the network: closes every link; requests of the application and publications waiting for
    /// a receipt fail as `networkClosed`.
    public mutating func stop(now: MonotonicTime) -> [NodeAction] {
        stopSession(now: now)
        seedConnected = false
        seedConnecting = false
        seedRetryAt = nil
        signInAfresh = nil
        return take()
    }

    private mutating func stopSession(now: MonotonicTime) {
        guard session != nil else { return }
        // Peers hear that this node leaves (they forget it at once) before its links close.
        interpret(session!.machine.leave(now: now), now: now)
        guard let ended = session else { return }
        for link in ended.links.values { emit(.closeLink(peer: link.peer, session: link.session)) }
        for id in ended.applicationRequests.sorted() {
            emit(.requestCompleted(requestID: id, outcome: .failure(.networkClosed)))
        }
        for id in ended.publications.values.sorted() { emit(.publishCompleted(id: id, error: .networkClosed)) }
        session = nil
        signInNetwork = nil
        resuming = nil
    }
}
