/// The browser node: the same composition of ``NodeMachine``, ``GeoInstance`` and ``KVSCoordinator`` as the
/// native `ColonioNode` (see `ColonioNode+Directives.swift` and `ColonioNode+Links.swift`), with the
/// seed protocol, link signaling and the link hello, turned into ``ShellCommand``s for JavaScript, which
/// only does I/O (WebSocket, RTCPeerConnection, WebCrypto, timers).
struct BrowserNode {
    /// Everything that exists once the seed signed the node in.
    struct Session {
        let nodeID: NodeID
        let network: String
        var certificate: NodeCertificate
        let seedPublicKey: [UInt8]
        var machine: NodeMachine
        var geo: GeoInstance
        var kvs: KVSCoordinator
        var links: [NodeID: BrowserLink] = [:]
        /// Requests of the application in flight (the node machine's request IDs).
        var applicationRequests: Set<UInt64> = []
        /// Which KVS operation each of the node machine's KVS requests carries.
        var kvsRequests: [UInt64: KVSClientOperationID] = [:]
        /// Requests delivered to the application, by the ID the shell answers with.
        var replies: [UInt64: ReplyToken] = [:]
        var nextReplyID: UInt64 = 1
        /// Publications waiting for a receipt, by the ID handed to the shell.
        var publications: [SpreadMessageID: UInt64] = [:]
        var nextPublicationID: UInt64 = 1
        /// When (Unix seconds) to ask the seed for a fresh certificate: halfway through the current one's
        /// life, as the native node does, so that peers keep accepting new links.
        var renewCertificateAt: UInt64 = 0
        /// When to ask the seed for peers while the node has no link.
        var peerSearch = PeerSearchSchedule()
        /// Until when the seed's "unknown peer" may only mean that the peer has not returned yet (after the
        /// seed connection came back).
        var seedReturnGraceUntil: MonotonicTime?
    }

    /// How long after the seed connection came back other nodes may still be returning to it: twice the
    /// shell's default longest wait between reconnection attempts.
    static let seedReturnGraceMilliseconds: UInt64 = 60_000

    /// Seconds between renewal attempts while the seed does not answer.
    static let renewalRetrySeconds: UInt64 = 30

    static func renewalTime(expiry: UInt64, issued: UInt64) -> UInt64 {
        expiry > issued ? issued + (expiry - issued) / 2 : issued + 1
    }

    var session: Session?
    private var signInNetwork: String?
    private(set) var seedConnected = false
    /// Token and public key of a sign-in that claims the session's ID back (see ``resume(token:publicKey:unixSeconds:out:)``);
    /// `nil` when none is under way.
    private var resuming: (token: String, publicKey: [UInt8])?
    var random: SplitMix64
    /// Kept across sessions, as the native node does.
    private var handlers: Set<[UInt8]> = []
    private var subscriptions: Set<[UInt8]> = []
    private var position: Position?

    init(randomSeed: UInt64) {
        random = SplitMix64(seed: randomSeed)
    }

    // MARK: - Seed

    /// Starts signing in: the shell has opened the WebSocket.
    mutating func signIn(network: String, token: String, publicKey: [UInt8], out: inout ShellOutput) {
        guard session == nil else { return out.fail("alreadyConnected", "the node is already connected") }
        signInNetwork = network
        seedConnected = true
        let frame = SeedFrame.signIn(SignInRequest(network: network, token: token, publicKey: publicKey))
        out.emit(.seedSend) { $0.write(field: 1, bytes: frame.encoded()) }
    }

    /// A new WebSocket to the seed is open after the last one closed: sign in again under this node's ID
    /// (a `resume` claim, signed by the shell with the node's key).
    mutating func resume(token: String, publicKey: [UInt8], unixSeconds: UInt64, out: inout ShellOutput) {
        guard let session else { return }
        seedConnected = true
        resuming = (token, publicKey)
        // The signature is the last field written, so the shell puts it into the frame's last 64 bytes.
        let claim = SignInResume(
            certificate: session.certificate, unixSeconds: unixSeconds,
            signature: [UInt8](repeating: 0, count: SeedLimits.signatureBytes))
        let request = SignInRequest(network: session.network, token: token, publicKey: publicKey, resume: claim)
        out.emit(.seedSignAndSend) {
            $0.write(field: 1, bytes: claim.signedBytes)
            $0.write(field: 2, bytes: SeedFrame.signIn(request).encoded())
        }
    }

    /// A binary frame from the seed.
    mutating func seedFrame(_ bytes: [UInt8], now: MonotonicTime, unixSeconds: UInt64, out: inout ShellOutput) {
        let frame: SeedFrame
        do {
            frame = try SeedFrame(decoding: bytes)
        } catch {
            return out.log("seed sent an undecodable frame: \(error)")
        }
        switch frame {
        case .signedIn(let response) where session != nil:
            resumed(response, now: now, unixSeconds: unixSeconds, out: &out)
        case .signedIn(let response):
            signedIn(response, now: now, out: &out)
            session?.renewCertificateAt = Self.renewalTime(expiry: response.certificate.expiry, issued: unixSeconds)
        case .relayedSignal(let from, let payload):
            receiveSignal(payload, from: from, viaSeed: true, now: now, out: &out)
        case .certificateRenewed(let certificate, let iceServers):
            session?.certificate = certificate
            session?.renewCertificateAt = Self.renewalTime(expiry: certificate.expiry, issued: unixSeconds)
            out.emit(.iceServers) { fields in
                for server in iceServers { fields.write(field: 1, message: server) }
            }
        case .error(let error) where error.code == .resumeRefused && resuming != nil:
            // The seed cannot give this node its ID back (another key, an expired certificate): start over
            // under a new one, on the same connection. Waiting operations fail as `networkClosed`.
            guard let (token, publicKey) = resuming, let network = session?.network else { return }
            out.log("the seed cannot restore this node's ID (\(error.message)); signing in again")
            stop(now: now, out: &out)
            signIn(network: network, token: token, publicKey: publicKey, out: &out)
        case .error(let error):
            guard session != nil else {
                out.emit(.signInFailed) {
                    $0.write(field: 1, uint64: UInt64(error.code.rawValue))
                    $0.write(field: 2, string: error.message)
                }
                return
            }
            out.log("seed refused a frame: \(error.message)")
            // Soon after the seed came back a peer it does not know yet is not gone: the attempt waits for
            // its connect timeout rather than count a failure (as the native node does).
            if error.code == .unknownPeer, let until = session?.seedReturnGraceUntil, now < until { return }
            // A signal to a peer the seed does not know: that connection attempt cannot succeed.
            if let peer = error.peer, let link = session?.links[peer], !link.isAuthenticated,
               error.sessionID == nil || error.sessionID == link.sessionID {
                dropLink(peer, report: true, now: now, out: &out)
            }
        case .peersFound(let peers):
            guard session?.links.isEmpty == true else { return }
            rejoin(through: peers, now: now, out: &out)
        case .keepaliveAck:
            break
        case .signIn, .renewCertificate, .signal, .keepalive, .findPeers:
            out.log("seed sent a client-only frame; ignored")
        }
    }

    /// The seed took the node back under its ID.
    private mutating func resumed(_ response: SignInResponse, now: MonotonicTime, unixSeconds: UInt64, out: inout ShellOutput) {
        guard resuming != nil, response.nodeID == session?.nodeID else { return }
        resuming = nil
        session?.seedReturnGraceUntil = now.adding(milliseconds: Self.seedReturnGraceMilliseconds)
        session?.certificate = response.certificate
        session?.renewCertificateAt = Self.renewalTime(expiry: response.certificate.expiry, issued: unixSeconds)
        out.emit(.iceServers) { fields in
            for server in response.configuration.iceServers { fields.write(field: 1, message: server) }
        }
        out.emit(.seedRestored) { _ in }
        if session?.links.isEmpty == true { rejoin(through: response.bootstrapPeers, now: now, out: &out) }
    }

    private mutating func rejoin(through peers: [NodeID], now: MonotonicTime, out: inout ShellOutput) {
        guard !peers.isEmpty else { return }
        out.log("no links left; rejoining through \(peers.count) peers the seed named")
        if let rejoined = session?.machine.rejoin(peers: peers, now: now) { interpret(rejoined, now: now, out: &out) }
        if let discovered = session?.geo.discovered(peers, now: now) { interpret(discovered, now: now, out: &out) }
    }

    /// A keepalive is due (at the interval from ``ShellCommand/signedIn``).
    func keepalive(out: inout ShellOutput) {
        guard seedConnected else { return }
        out.emit(.seedSend) { $0.write(field: 1, bytes: SeedFrame.keepalive(nonce: 0).encoded()) }
    }

    /// The WebSocket closed; signaling continues over the overlay while the shell reconnects.
    mutating func seedClosed() {
        seedConnected = false
        resuming = nil
    }

    private mutating func signedIn(_ response: SignInResponse, now: MonotonicTime, out: inout ShellOutput) {
        guard session == nil, let network = signInNetwork else { return }
        let configuration = response.configuration
        var newSession = Session(
            nodeID: response.nodeID, network: network, certificate: response.certificate,
            seedPublicKey: response.seedPublicKey, machine: NodeMachine(settings: configuration.routing),
            geo: GeoInstance(id: response.nodeID, space: configuration.space, settings: configuration.spread),
            kvs: KVSCoordinator(
                nodeID: response.nodeID, settings: configuration.kvs,
                jointMilliseconds: KVSCoordinator.jointMilliseconds(routing: configuration.routing, kvs: configuration.kvs),
                randomSeed: random.next(), now: now))
        for name in handlers { newSession.machine.registerHandler(String(decoding: name, as: UTF8.self)) }
        for topic in subscriptions { newSession.geo.subscribe(String(decoding: topic, as: UTF8.self)) }
        let started = newSession.machine.start(localID: response.nodeID, bootstrapPeers: response.bootstrapPeers, now: now)
        session = newSession
        out.emit(.signedIn) {
            $0.write(field: 1, nodeID: response.nodeID)
            $0.write(field: 2, bytes: response.seedPublicKey)
            $0.write(field: 3, uint64: UInt64(response.keepaliveIntervalMilliseconds))
            for server in configuration.iceServers { $0.write(field: 4, message: server) }
            switch configuration.space {
            case .plane(let width, let height):
                $0.write(field: 5, string: "plane")
                $0.write(field: 6, double: width)
                $0.write(field: 7, double: height)
            case .sphere(let radius):
                $0.write(field: 5, string: "sphere")
                $0.write(field: 6, double: radius)
            case .torus(let width, let height):
                $0.write(field: 5, string: "torus")
                $0.write(field: 6, double: width)
                $0.write(field: 7, double: height)
            }
            $0.write(field: 8, uint64: UInt64(configuration.routing.maximumLinks))
            $0.write(field: 9, string: network)
        }
        interpret(started, now: now, out: &out)
        if let position, let placed = try? session?.geo.setPosition(position, now: now) {
            interpret(placed, now: now, out: &out)
        }
        if let discovered = session?.geo.discovered(response.bootstrapPeers, now: now) {
            interpret(discovered, now: now, out: &out)
        }
    }

    // MARK: - Timers and lifecycle

    /// The protocol timers (call every ~100 ms, as the native node does).
    mutating func tick(now: MonotonicTime, unixSeconds: UInt64, out: inout ShellOutput) {
        guard session != nil else { return }
        if seedConnected && unixSeconds >= session!.renewCertificateAt {
            session!.renewCertificateAt = unixSeconds + Self.renewalRetrySeconds
            out.emit(.seedSend) { $0.write(field: 1, bytes: SeedFrame.renewCertificate.encoded()) }
        }
        // A node with no link left asks the seed for peers, as the native node does.
        let alone = session!.links.isEmpty
        if (!alone || seedConnected) && session!.peerSearch.isDue(alone: alone, now: now) {
            out.emit(.seedSend) { $0.write(field: 1, bytes: SeedFrame.findPeers.encoded()) }
        }
        interpret(session!.machine.tick(now: now), now: now, out: &out)
        guard session != nil else { return }
        interpret(session!.geo.tick(now: now), now: now, out: &out)
        guard session != nil else { return }
        interpret(session!.kvs.tick(now: now), now: now, out: &out)
    }

    /// Leaves the network: closes every link; pending operations fail as `networkClosed`.
    mutating func stop(now: MonotonicTime, out: inout ShellOutput) {
        guard var current = session else { return }
        let directives = current.machine.stop(now: now)
        session = current
        interpret(directives, now: now, out: &out)
        guard let ended = session else { return }
        for link in ended.links.values {
            out.emit(.closeLink) {
                $0.write(field: 1, nodeID: link.peer)
                $0.write(field: 2, uint64: link.sessionID)
            }
        }
        for id in ended.applicationRequests { requestDone(id, .failure(.networkClosed), out: &out) }
        for id in ended.publications.values { publishDone(id, error: nil, out: &out) }
        session = nil
        signInNetwork = nil
        seedConnected = false
        resuming = nil
    }

    // MARK: - Application

    mutating func setHandler(_ name: String, registered: Bool) {
        if registered {
            handlers.insert(Array(name.utf8))
            session?.machine.registerHandler(name)
        } else {
            handlers.remove(Array(name.utf8))
            session?.machine.unregisterHandler(name)
        }
    }

    mutating func send(name: String, payload: [UInt8], to destination: Destination, now: MonotonicTime, out: inout ShellOutput) {
        guard session != nil else { return out.fail("notConnected", "connect first") }
        do {
            let directives = try session!.machine.send(name: name, payload: payload, to: destination, now: now)
            interpret(directives, now: now, out: &out)
        } catch {
            fail(error, name: name, out: &out)
        }
    }

    mutating func request(name: String, payload: [UInt8], to destination: Destination, now: MonotonicTime, out: inout ShellOutput) {
        guard session != nil else { return out.fail("notConnected", "connect first") }
        do {
            let started = try session!.machine.request(name: name, payload: payload, to: destination, now: now)
            session!.applicationRequests.insert(started.requestID)
            out.result(started.requestID)
            interpret(started.directives, now: now, out: &out)
        } catch {
            fail(error, name: name, out: &out)
        }
    }

    /// Answers a request delivered with reply ID `replyID`; `failure` answers it as a failed handler.
    mutating func respond(replyID: UInt64, payload: [UInt8], failure: String?, now: MonotonicTime, out: inout ShellOutput) {
        guard let token = session?.replies.removeValue(forKey: replyID) else { return }
        let directives: [NodeDirective]
        if let failure {
            let code: DeliveryFailure.Code = failure.utf8.elementsEqual("noHandler".utf8) ? .noHandler : .handlerFailed
            directives = session!.machine.respond(to: token, failure: DeliveryFailure(code: code, detail: failure), now: now)
        } else {
            directives = session!.machine.respond(to: token, payload: payload, now: now)
        }
        interpret(directives, now: now, out: &out)
    }

    mutating func setPosition(_ newPosition: Position, now: MonotonicTime, out: inout ShellOutput) {
        if session != nil {
            do {
                let directives = try session!.geo.setPosition(newPosition, now: now)
                interpret(directives, now: now, out: &out)
            } catch {
                return out.fail("invalidPosition", error.description)
            }
        }
        position = newPosition
    }

    mutating func setSubscribed(_ topic: String, _ subscribed: Bool) {
        if subscribed {
            subscriptions.insert(Array(topic.utf8))
            session?.geo.subscribe(topic)
        } else {
            subscriptions.remove(Array(topic.utf8))
            session?.geo.unsubscribe(topic)
        }
    }

    mutating func publish(
        topic: String, payload: [UInt8], center: Position, radius: Double, options: SpreadOptions,
        now: MonotonicTime, out: inout ShellOutput
    ) {
        guard session != nil else { return out.fail("notConnected", "connect first") }
        do {
            let published = try session!.geo.publish(
                topic: topic, payload: payload, center: center, radius: radius, options: options, now: now)
            if options.requireReceiver {
                let id = session!.nextPublicationID
                session!.nextPublicationID += 1
                session!.publications[published.id] = id
                out.result(id)
            } else {
                out.result(0)
            }
            interpret(published.directives, now: now, out: &out)
        } catch {
            out.fail(Self.kind(of: error), error.description)
        }
    }

    mutating func kvs(_ command: KVSCommand, key: String, now: MonotonicTime, out: inout ShellOutput) {
        guard session != nil else { return out.fail("notConnected", "connect first") }
        let started = session!.kvs.start(command, key: KVSKey(key), now: now)
        out.result(started.operation.rawValue)
        interpret(started.directives, now: now, out: &out)
    }

    /// A snapshot for `links()` and the demo map.
    func state(out: inout ShellOutput) {
        guard let session else { return out.emit(.state) { _ in } }
        out.emit(.state) {
            $0.write(field: 1, nodeID: session.nodeID)
            for peer in session.links.keys.sorted() where session.links[peer]!.isAuthenticated {
                $0.write(field: 2, nodeID: peer)
            }
            if let position = session.geo.position {
                $0.write(field: 3, bool: true)
                $0.write(field: 4, double: position.x)
                $0.write(field: 5, double: position.y)
            }
            for (id, neighbour) in session.geo.neighbours {
                var entry = WireWriter()
                entry.write(field: 1, nodeID: id)
                entry.write(field: 2, double: neighbour.position.x)
                entry.write(field: 3, double: neighbour.position.y)
                $0.write(field: 6, bytes: entry.bytes)
            }
        }
    }

    private func fail(_ error: NodeError, name: String, out: inout ShellOutput) {
        switch error {
        case .notStarted: out.fail("notConnected", "connect first")
        case .messageTooLarge(let size, let limit):
            out.fail("messageTooLarge", "message of \(size) bytes exceeds the network's limit of \(limit) bytes")
        case .invalidName: out.fail("invalidName", "invalid handler name \"\(name)\"")
        }
    }

    static func kind(of error: SpreadError) -> String {
        switch error {
        case .invalidGeometry: "invalidPosition"
        case .payloadTooLarge: "messageTooLarge"
        case .topicTooLong: "invalidName"
        case .positionNotSet: "positionNotSet"
        case .noReceiver: "noReceiver"
        }
    }
}
