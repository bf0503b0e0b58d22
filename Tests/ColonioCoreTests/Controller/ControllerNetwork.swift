import ColonioCore

/// Several ``NodeController``s run synchronously by a stand-in for their shells: a seed that signs in,
/// relays signals and answers peer searches; links that carry frames in order; a manual clock. The
/// signatures are stand-ins too (a hash of key and bytes, the "public key" equal to the private one):
/// the controller only passes bytes to sign and checks to make, so its rules are what is tested here.
final class ControllerNetwork {
    struct Node {
        var controller: NodeController
        let key: [UInt8]
        var id: NodeID?
        /// What the node's application saw.
        var delivered: [NodeAction] = []
        /// Every action the node's shell carried out, for checks on them.
        var log: [NodeAction] = []
    }

    /// One side of a link in the shell: the peer connection with its descriptions.
    struct ShellLink: Hashable {
        var node: Int
        var peer: NodeID
        var session: UInt64
    }

    static let network = "test"
    static let seedKey: [UInt8] = Array(repeating: 7, count: 32)

    var nodes: [Node] = []
    var configuration: NetworkConfiguration
    var now = MonotonicTime.zero
    var unixSeconds: UInt64 = 1_000_000
    /// Signed-in nodes, by ID: the seed's registry.
    var registry: [NodeID: Int] = [:]
    var seedUp: Set<Int> = []
    /// Links whose descriptions are both set (the channel opens once both sides are).
    var described: Set<ShellLink> = []
    var open: Set<ShellLink> = []
    /// Signals the seed refuses instead of relaying (to simulate lost signals), by sender.
    var dropSeedSignalsFrom: Set<Int> = []
    /// What a dishonest seed does to every signal it relays (from the sender's index).
    var rewriteSeedSignals: ((Int, SignalPayload) -> SignalPayload)?
    /// What happens next, in order.
    private var queue: [(Int, Input)] = []
    private var nextID: UInt64 = 1

    enum Input {
        case seed(SeedFrame)
        case description(String, NodeID, UInt64)
        case opened(NodeID, UInt64)
        case frame([UInt8], NodeID, UInt64)
        case verified(NodeID, UInt64, Bool)
        case closed(NodeID, UInt64)
        case signalSigned(UInt64, [UInt8])
        case signalVerified(UInt64, Bool)
    }

    init(routing: RoutingSettings = RoutingSettings()) {
        configuration = NetworkConfiguration(name: Self.network, space: .plane(width: 100, height: 100), routing: routing)
    }

    /// A stand-in signature: unforgeable enough for rule tests, and canonical (its S half below the
    /// group order) as the controller requires of any signature before the shell verifies it.
    static func sign(_ bytes: [UInt8], key: [UInt8]) -> [UInt8] {
        let half = SHA256.hash(key + bytes)
        var scalar = half
        scalar[31] &= 0x0F
        return half + scalar
    }

    static func verify(_ check: CertifiedSignature) -> Bool {
        check.certificateSignature == sign(check.certificateBytes, key: check.seedPublicKey)
            && check.signature == sign(check.signedBytes, key: check.signerPublicKey)
    }

    func certificate(for id: NodeID, key: [UInt8], expiry: UInt64? = nil, network: String = ControllerNetwork.network) -> NodeCertificate {
        var certificate = NodeCertificate(network: network, nodeID: id, publicKey: key, expiry: expiry ?? unixSeconds + 3_600)
        certificate.signature = Self.sign(certificate.signedBytes, key: Self.seedKey)
        return certificate
    }

    /// Adds a node and signs it in with `id`; returns its index.
    @discardableResult
    func addNode(id: NodeID, settings: NodeControllerSettings = NodeControllerSettings()) -> Int {
        let index = nodes.count
        let key = Array(SHA256.hash([UInt8(truncatingIfNeeded: index), 1]))
        nodes.append(Node(controller: NodeController(settings: settings, randomSeed: UInt64(index) + 1), key: key))
        nodes[index].id = id
        seedUp.insert(index)
        let actions = try! nodes[index].controller.signIn(network: Self.network, token: "t", publicKey: key)
        carryOut(actions, at: index)
        run()
        return index
    }

    func index(of id: NodeID) -> Int { registry[id]! }

    /// Two signed-in nodes that do not know each other (the first's seed connection was away while the
    /// second signed in, so neither was the other's bootstrap peer).
    func addStrangers(_ first: NodeID, _ second: NodeID) -> (Int, Int) {
        let a = addNode(id: first)
        seedUp.remove(a)
        let b = addNode(id: second)
        seedUp.insert(a)
        return (a, b)
    }

    /// The seed's answer to a peer search of node `index`, handed to its controller (not carried out).
    func peersFound(_ peers: [NodeID], at index: Int) -> [NodeAction] {
        nodes[index].controller.seedFrame(.peersFound(peers), now: now, unixSeconds: unixSeconds)
    }

    /// Runs queued inputs until none is left.
    func run() {
        var steps = 0
        while !queue.isEmpty {
            steps += 1
            precondition(steps < 1_000_000, "the controllers do not settle")
            let (index, input) = queue.removeFirst()
            let actions: [NodeAction]
            switch input {
            case .seed(let frame):
                guard seedUp.contains(index) else { continue }
                actions = nodes[index].controller.seedFrame(frame, now: now, unixSeconds: unixSeconds)
            case .description(let sdp, let peer, let session):
                actions = nodes[index].controller.localDescription(sdp, peer: peer, session: session, now: now)
            case .opened(let peer, let session):
                actions = nodes[index].controller.linkOpened(peer: peer, session: session, now: now)
            case .frame(let bytes, let peer, let session):
                actions = nodes[index].controller.linkFrame(bytes, peer: peer, session: session, now: now, unixSeconds: unixSeconds)
            case .verified(let peer, let session, let valid):
                actions = nodes[index].controller.helloVerified(peer: peer, session: session, valid: valid, now: now)
            case .closed(let peer, let session):
                actions = nodes[index].controller.linkClosed(peer: peer, session: session, now: now)
            case .signalSigned(let id, let signature):
                actions = nodes[index].controller.signalSigned(id: id, signature: signature, now: now)
            case .signalVerified(let id, let valid):
                actions = nodes[index].controller.signalVerified(id: id, valid: valid, now: now)
            }
            carryOut(actions, at: index)
        }
    }

    /// Advances the clock in 100 ms ticks.
    func advance(milliseconds: UInt64) {
        let end = now.adding(milliseconds: milliseconds)
        while now < end {
            now = now.adding(milliseconds: 100)
            if now.milliseconds(since: .zero) % 1_000 == 0 { unixSeconds += 1 }
            for index in nodes.indices {
                carryOut(nodes[index].controller.tick(now: now, unixSeconds: unixSeconds), at: index)
                run()
            }
        }
    }

    func enqueue(_ index: Int, _ input: Input) {
        queue.append((index, input))
    }

    func carryOut(_ actions: [NodeAction], at index: Int) {
        for action in actions { carryOut(action, at: index) }
    }

    /// The description node `index` makes for `session`: one fingerprint, unique per node and session.
    func sdp(_ index: Int, _ session: UInt64) -> String {
        "v=0\r\na=fingerprint:sha-256 \(Self.fingerprint(index, session))\r\n"
    }

    /// Hex pairs (`0A:..`) of the node's index and the session, well-formed as the controller requires.
    static func fingerprint(_ index: Int, _ session: UInt64) -> String {
        let bytes = [UInt64(index), session].flatMap { value in
            (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
        }
        return bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined(separator: ":")
    }

    func carryOut(_ action: NodeAction, at index: Int) {
        nodes[index].log.append(action)
        switch action {
        case .sendToSeed(let frame):
            seedReceived(frame, from: index)
        case .signAndSendResume(let signedBytes, var request):
            request.resume?.signature = Self.sign(signedBytes, key: nodes[index].key)
            seedReceived(.signIn(request), from: index)
        case .signedIn, .signInFailed, .seedRestored, .useICEServers, .log, .connectToSeed:
            break
        case .openLink(let peer, let session, let remoteOffer):
            let sdp = sdp(index, session)
            enqueue(index, .description(sdp, peer, session))
            if remoteOffer != nil { described.insert(ShellLink(node: index, peer: peer, session: session)) }
        case .applyAnswer(let peer, let session, _):
            let mine = ShellLink(node: index, peer: peer, session: session)
            described.insert(mine)
            // Both sides described: the channel opens on both.
            if let other = registry[peer], let me = nodes[index].id {
                let theirs = ShellLink(node: other, peer: me, session: session)
                if described.contains(theirs) {
                    open.insert(mine)
                    open.insert(theirs)
                    enqueue(index, .opened(peer, session))
                    enqueue(other, .opened(me, session))
                }
            }
        case .addCandidate:
            break
        case .closeLink(let peer, let session):
            let mine = ShellLink(node: index, peer: peer, session: session)
            described.remove(mine)
            if open.remove(mine) != nil, let other = registry[peer], let me = nodes[index].id {
                let theirs = ShellLink(node: other, peer: me, session: session)
                if open.remove(theirs) != nil { enqueue(other, .closed(me, session)) }
            }
        case .sendFrame(let peer, let session, let frame):
            deliverFrame(frame, from: index, to: peer, session: session)
        case .signAndSendFrame(let peer, let session, let signedBytes, var frame):
            frame.replaceSubrange((frame.count - 64)..., with: Self.sign(signedBytes, key: nodes[index].key))
            deliverFrame(frame, from: index, to: peer, session: session)
        case .verifyHello(let peer, let session, let check):
            enqueue(index, .verified(peer, session, Self.verify(check)))
        case .signSignal(let id, let signedBytes):
            enqueue(index, .signalSigned(id, Self.sign(signedBytes, key: nodes[index].key)))
        case .verifySignal(let id, let check):
            enqueue(index, .signalVerified(id, Self.verify(check)))
        case .deliverMessage(let message, let replyID):
            nodes[index].delivered.append(action)
            if let replyID {
                carryOut(nodes[index].controller.respond(replyID: replyID, payload: message.payload, now: now), at: index)
            }
        case .requestCompleted, .deliverSpread, .publishCompleted, .kvsCompleted:
            nodes[index].delivered.append(action)
        }
    }

    private func deliverFrame(_ frame: [UInt8], from index: Int, to peer: NodeID, session: UInt64) {
        guard open.contains(ShellLink(node: index, peer: peer, session: session)), let other = registry[peer],
              let me = nodes[index].id else { return }
        enqueue(other, .frame(frame, me, session))
    }

    private func seedReceived(_ frame: SeedFrame, from index: Int) {
        guard seedUp.contains(index) else { return }
        switch frame {
        case .signIn(let request):
            let id = nodes[index].id!
            let peers = registry.keys.filter { $0 != id }.sorted()
            registry[id] = index
            let response = SignInResponse(
                nodeID: id, certificate: certificate(for: id, key: request.publicKey), seedPublicKey: Self.seedKey,
                configuration: configuration, bootstrapPeers: peers, keepaliveIntervalMilliseconds: 10_000)
            enqueue(index, .seed(.signedIn(response)))
        case .signal(let to, let payload):
            if dropSeedSignalsFrom.contains(index) { return }
            guard let other = registry[to], seedUp.contains(other) else {
                enqueue(index, .seed(.error(SeedErrorMessage(
                    code: .unknownPeer, message: "unknown peer", peer: to, sessionID: payload.sessionID))))
                return
            }
            let relayed = rewriteSeedSignals?(index, payload) ?? payload
            enqueue(other, .seed(.relayedSignal(from: nodes[index].id!, payload: relayed)))
        case .findPeers:
            let id = nodes[index].id!
            enqueue(index, .seed(.peersFound(registry.keys.filter { $0 != id && seedUp.contains(registry[$0]!) }.sorted())))
        case .renewCertificate:
            let id = nodes[index].id!
            enqueue(index, .seed(.certificateRenewed(certificate(for: id, key: nodes[index].key), iceServers: [])))
        case .keepalive(let nonce):
            enqueue(index, .seed(.keepaliveAck(nonce: nonce)))
        case .challenge, .signedIn, .certificateRenewed, .relayedSignal, .error, .keepaliveAck, .peersFound:
            break
        }
    }

    /// The shell of node `index` reopened its seed connection: the seed's challenge arrives, then the
    /// shell tells the controller; returns what the controller asked for.
    func reopenSeed(_ index: Int) -> [NodeAction] {
        let challenge: [UInt8] = [UInt8(truncatingIfNeeded: index), 0xC4, 0xA1]
        let early = nodes[index].controller.seedFrame(.challenge(nonce: challenge), now: now, unixSeconds: unixSeconds)
        return early + nodes[index].controller.seedReopened(token: "t", publicKey: nodes[index].key, unixSeconds: unixSeconds)
    }

    /// The authenticated peers of node `index`.
    func linkedPeers(_ index: Int) -> [NodeID] {
        nodes[index].controller.session?.authenticatedPeers ?? []
    }

    /// The link phases of node `index`.
    func link(_ index: Int, to peer: NodeID) -> LinkNegotiation? {
        nodes[index].controller.session?.links[peer]
    }
}
