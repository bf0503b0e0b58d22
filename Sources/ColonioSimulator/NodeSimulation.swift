import ColonioCore

/// Whole nodes on a virtual clock: every node runs the ``NodeController`` that native and browser nodes
/// run (ring, pub/sub over the overlay, the ``KVSCoordinator``, the link lifecycle with its signaling
/// and hello, the seed session), on a simulated seed and simulated links. Reproducible from
/// ``SimulationConfiguration/seed``.
///
/// The stand-ins: the seed signs every node in at once (bootstrap peers as ``Simulation``'s seed
/// chooses them), relays signals and answers peer searches after a round trip, and refuses signals to
/// nodes it does not know; a link opens ``SimulationConfiguration/connectDelayMilliseconds`` after the
/// offerer applied the answer, carries frames in order with the configured latency (overlay frames may
/// be lost at ``SimulationConfiguration/lossRate``), and closes on both sides; signatures are not
/// made (the hello carries a fixed stand-in signature and every hello verifies: the controller's own
/// checks of network, node, expiry and key and signature encoding still run). A crashed node's peers see its links close after
/// ``SimulationConfiguration/failureDetectionMilliseconds``.
public final class NodeSimulation {
    /// A KVS operation that finished.
    public struct KVSCompletion: Equatable, Sendable {
        public var node: NodeID
        public var operation: KVSClientOperationID
        public var result: Result<KVSValue?, KVSError>
        public var time: MonotonicTime
    }

    /// A publication that asked for a receipt (``SpreadOptions/requireReceiver``) and got its outcome.
    public struct PublishCompletion: Equatable, Sendable {
        public var node: NodeID
        /// What ``publish(from:topic:payload:center:radius:options:)`` returned.
        public var id: UInt64
        /// `nil`: a subscriber received it.
        public var error: SpreadError?
        public var time: MonotonicTime
    }

    private enum Event {
        case tick(Int)
        case seedFrame(SeedFrame, to: Int)
        case open(node: Int, peer: NodeID, session: UInt64)
        case frame([UInt8], from: NodeID, to: Int, session: UInt64)
        case closed(node: Int, peer: NodeID, session: UInt64)

        /// The node the event happens at.
        var nodeIndex: Int? {
            switch self {
            case .tick(let index), .seedFrame(_, let index), .open(let index, _, _), .frame(_, _, let index, _),
                 .closed(let index, _, _):
                index
            }
        }
    }

    /// One link between two nodes in one signaling session.
    private struct LinkKey: Hashable {
        var low: Int
        var high: Int
        var session: UInt64
        init(_ a: Int, _ b: Int, _ session: UInt64) {
            low = Swift.min(a, b)
            high = Swift.max(a, b)
            self.session = session
        }
    }

    private struct Link {
        var isOpen = false
        /// Latest scheduled delivery per direction (low to high, high to low): keeps frames in order.
        var lastDelivery: (MonotonicTime, MonotonicTime) = (.zero, .zero)
    }

    private struct Node {
        var id: NodeID
        var controller: NodeController
        var alive = true
        /// Until when the node's process is stopped (no ticks; what arrives waits); `nil`: running.
        var pausedUntil: MonotonicTime?
        /// Open links: peer index -> link session.
        var open: [Int: UInt64] = [:]
    }

    public let configuration: SimulationConfiguration
    public let network: NetworkConfiguration
    public private(set) var now = MonotonicTime.zero
    /// What the simulated applications saw, in order (as ``Simulation/deliveries``); read and clear.
    public var deliveries: [Simulation.Delivery] = []
    /// Whether nodes answer every request with its own payload (handler ``Simulation/echoHandler``).
    public var echoRequests = true
    /// Pub/sub deliveries, in order; read and clear.
    public var spreadArrivals: [Simulation.SpreadArrival] = []
    /// Finished KVS operations, in order; read and clear.
    public var kvsCompletions: [KVSCompletion] = []
    /// Outcomes of publications that asked for a receipt, in order; read and clear.
    public var publishCompletions: [PublishCompletion] = []
    public private(set) var eventCount: UInt64 = 0
    /// Link frames handed to the simulated links (hellos and overlay frames).
    public private(set) var framesSent: UInt64 = 0
    /// Frames and signals the simulated seed handled.
    public private(set) var seedFrames: UInt64 = 0
    /// The controllers' log lines at ``keptLogLevel`` and above; read and clear.
    public var logs: [String] = []
    public var keptLogLevel = NodeLogLevel.warning

    private var nodes: [Node] = []
    private var indexByID: [NodeID: Int] = [:]
    /// Live signed-in nodes in ID order: the seed's registry.
    private var registry = SimulatedRegistry()
    private var links: [LinkKey: Link] = [:]
    private var queue = EventQueue<Event>()
    private var random: SplitMix64
    private static let unixEpoch: UInt64 = 1_800_000_000

    public init(configuration: SimulationConfiguration = SimulationConfiguration(), kvs: KVSSettings = KVSSettings()) {
        self.configuration = configuration
        network = NetworkConfiguration(
            name: "simulation", space: configuration.space ?? .plane(width: 1, height: 1),
            routing: configuration.settings, kvs: kvs, spread: configuration.spreadSettings)
        random = SplitMix64(seed: configuration.seed)
    }

    // MARK: - Population

    public var liveNodeIDs: [NodeID] { registry.ids }
    public var liveCount: Int { registry.count }

    /// The controller of a node (alive or crashed), for inspection.
    public func controller(of id: NodeID) -> NodeController? {
        indexByID[id].map { nodes[$0].controller }
    }

    public func randomNodeID() -> NodeID {
        while true {
            let id = NodeID.random(using: &random)
            if indexByID[id] == nil { return id }
        }
    }

    private var unixSeconds: UInt64 { Self.unixEpoch + now.milliseconds(since: .zero) / 1_000 }

    /// Signs a node in now; with a space, places it at `position` (default: the origin) subscribed to `topics`.
    @discardableResult
    public func addNode(id: NodeID? = nil, position: Position? = nil, topics: [String] = []) -> NodeID {
        let id = id ?? randomNodeID()
        precondition(indexByID[id] == nil, "node \(id) already exists")
        let index = nodes.count
        var controller = NodeController(randomSeed: random.next())
        controller.setHandler(Simulation.echoHandler, registered: true)
        for topic in topics { controller.setSubscribed(topic, true) }
        if configuration.space != nil { _ = try? controller.setPosition(position ?? Position(x: 0, y: 0), now: now) }
        _ = try? controller.signIn(network: network.name, token: "", publicKey: [])
        nodes.append(Node(id: id, controller: controller))
        indexByID[id] = index
        let bootstrap = registry.nearest(to: id, perSide: configuration.bootstrapPeersPerSide)
        registry.insert(id)
        let certificate = NodeCertificate(
            network: network.name, nodeID: id, publicKey: StandInSignatures.publicKey, expiry: Self.unixEpoch + 365 * 86_400,
            signature: StandInSignatures.signature)
        let response = SignInResponse(
            nodeID: id, certificate: certificate, seedPublicKey: StandInSignatures.publicKey, configuration: network,
            bootstrapPeers: bootstrap, keepaliveIntervalMilliseconds: 10_000)
        perform(nodes[index].controller.seedFrame(.signedIn(response), now: now, unixSeconds: unixSeconds), at: index)
        let interval = Swift.max(1, configuration.tickIntervalMilliseconds)
        queue.push(.tick(index), at: now.adding(milliseconds: random.next() % interval + 1))
        return id
    }

    /// Crashes a node: it stops at once, and its peers see its links close after the failure-detection delay.
    public func crash(_ id: NodeID) {
        guard let index = indexByID[id], nodes[index].alive else { return }
        nodes[index].alive = false
        registry.remove(id)
        for (peer, session) in nodes[index].open.sorted(by: { $0.key < $1.key }) {
            links[LinkKey(index, peer, session)] = nil
            nodes[peer].open[index] = nil
            queue.push(.closed(node: peer, peer: id, session: session), at: now.adding(milliseconds: configuration.failureDetectionMilliseconds))
        }
        nodes[index].open.removeAll()
    }

    /// Crashes a node without anyone being told: its links stay open and swallow every frame, as a killed
    /// process's data channels do until its peers' failure detectors (``LinkLiveness``) give up on them.
    /// Only the seed notices at once (its connection closes).
    public func crashSilently(_ id: NodeID) {
        guard let index = indexByID[id], nodes[index].alive else { return }
        nodes[index].alive = false
        registry.remove(id)
    }

    /// Stops a node's process for `milliseconds` (SIGSTOP, a long garbage collection, a suspended
    /// laptop): it runs no timer and what reaches it waits until it resumes. Its links stay open.
    public func pause(_ id: NodeID, forMilliseconds milliseconds: UInt64) {
        guard let index = indexByID[id], nodes[index].alive else { return }
        nodes[index].pausedUntil = now.adding(milliseconds: milliseconds)
    }

    /// Peers declared dead by every node's failure detector, and how many suspicions were refuted
    /// (the peer was alive), summed over live nodes.
    public func failureDetectorCounts() -> (declaredDead: UInt64, suspicions: UInt64, refuted: UInt64, vouches: UInt64) {
        var totals: (declaredDead: UInt64, suspicions: UInt64, refuted: UInt64, vouches: UInt64) = (0, 0, 0, 0)
        for id in registry.ids {
            guard let statistics = nodes[indexByID[id]!].controller.session?.machine.statistics else { continue }
            totals.declaredDead += statistics.peersDeclaredDead
            totals.suspicions += statistics.suspicions
            totals.refuted += statistics.refutedSuspicions
            totals.vouches += statistics.vouches
        }
        return totals
    }

    /// Leaves the network gracefully (as `disconnect()`): links close, the seed forgets the node.
    public func leave(_ id: NodeID) {
        guard let index = indexByID[id], nodes[index].alive else { return }
        perform(nodes[index].controller.stop(now: now), at: index)
        nodes[index].alive = false
        registry.remove(id)
    }

    // MARK: - Application

    public func send(from source: NodeID, name: String = Simulation.echoHandler, payload: [UInt8], to destination: Destination) throws(NodeCallError) {
        guard let index = indexByID[source], nodes[index].alive else { throw .notConnected }
        perform(try nodes[index].controller.send(name: name, payload: payload, to: destination, now: now), at: index)
    }

    @discardableResult
    public func request(
        from source: NodeID, name: String = Simulation.echoHandler, payload: [UInt8], to destination: Destination
    ) throws(NodeCallError) -> UInt64 {
        guard let index = indexByID[source], nodes[index].alive else { throw .notConnected }
        let started = try nodes[index].controller.request(name: name, payload: payload, to: destination, now: now)
        perform(started.actions, at: index)
        return started.requestID
    }

    /// Publishes from `source`; returns the publication's ID (0 unless `options` asks for a receipt),
    /// which its ``PublishCompletion`` carries.
    @discardableResult
    public func publish(
        from source: NodeID, topic: String, payload: [UInt8], center: Position, radius: Double,
        options: SpreadOptions = SpreadOptions()
    ) throws(NodeCallError) -> UInt64 {
        guard let index = indexByID[source], nodes[index].alive else { throw .notConnected }
        let published = try nodes[index].controller.publish(
            topic: topic, payload: payload, center: center, radius: radius, options: options, now: now)
        perform(published.actions, at: index)
        return published.id
    }

    @discardableResult
    public func startKVS(_ command: KVSCommand, key: String, at node: NodeID) throws(NodeCallError) -> KVSClientOperationID {
        guard let index = indexByID[node], nodes[index].alive else { throw .notConnected }
        let started = try nodes[index].controller.kvs(command, key: key, now: now)
        perform(started.actions, at: index)
        return started.operation
    }

    // MARK: - Running

    public func run(for milliseconds: UInt64) {
        run(until: now.adding(milliseconds: milliseconds))
    }

    public func run(until end: MonotonicTime) {
        while let next = queue.nextTime, next <= end {
            guard let (time, event) = queue.pop() else { break }
            now = time
            eventCount += 1
            handle(event)
        }
        now = Swift.max(now, end)
    }

    // MARK: - Checks

    /// Live nodes whose successor or predecessor list differs from the true one, or is not linked.
    public func nodesWithWrongNeighbours() -> [NodeID] {
        registry.ids.filter { id in
            guard let ring = nodes[indexByID[id]!].controller.session?.machine.ring else { return true }
            let expected = registry.neighbours(
                of: id, successors: Int(configuration.settings.successorCount),
                predecessors: Int(configuration.settings.predecessorCount))
            return ring.successors != expected.successors || ring.predecessors != expected.predecessors
                || !(ring.successors + ring.predecessors).allSatisfy { ring.isLinked($0) }
        }
    }

    /// Authenticated links per live node, in ID order.
    public func linkCounts() -> [Int] {
        registry.ids.map { nodes[indexByID[$0]!].controller.session?.authenticatedLinkCount ?? 0 }
    }

    // MARK: - Internals

    private func latency() -> UInt64 {
        let range = configuration.latencyMilliseconds
        return range.lowerBound + random.next() % (range.upperBound - range.lowerBound + 1)
    }

    private func isLost() -> Bool {
        configuration.lossRate > 0 && Double(random.next() >> 11) / Double(UInt64(1) << 53) < configuration.lossRate
    }

    private func handle(_ event: Event) {
        if let index = event.nodeIndex, let until = nodes[index].pausedUntil {
            if until > now {
                // The stopped process catches up when it resumes, in arrival order.
                queue.push(event, at: until)
                return
            }
            nodes[index].pausedUntil = nil
        }
        switch event {
        case .tick(let index):
            guard nodes[index].alive else { return }
            perform(nodes[index].controller.tick(now: now, unixSeconds: unixSeconds), at: index)
            queue.push(.tick(index), at: now.adding(milliseconds: Swift.max(1, configuration.tickIntervalMilliseconds)))
        case .seedFrame(let frame, let index):
            guard nodes[index].alive else { return }
            perform(nodes[index].controller.seedFrame(frame, now: now, unixSeconds: unixSeconds), at: index)
        case .open(let index, let peer, let session):
            guard nodes[index].alive, let other = indexByID[peer], nodes[other].alive,
                  var link = links[LinkKey(index, other, session)] else { return }
            if !link.isOpen {
                link.isOpen = true
                links[LinkKey(index, other, session)] = link
                nodes[index].open[other] = session
                nodes[other].open[index] = session
            }
            perform(nodes[index].controller.linkOpened(peer: peer, session: session, now: now), at: index)
        case .frame(let bytes, let source, let index, let session):
            guard nodes[index].alive else { return }
            perform(nodes[index].controller.linkFrame(bytes, peer: source, session: session, now: now, unixSeconds: unixSeconds), at: index)
        case .closed(let index, let peer, let session):
            guard nodes[index].alive else { return }
            perform(nodes[index].controller.linkClosed(peer: peer, session: session, now: now), at: index)
        }
    }

    private func perform(_ actions: [NodeAction], at index: Int) {
        for action in actions {
            guard nodes[index].alive else { return }
            perform(action, at: index)
        }
    }

    private func perform(_ action: NodeAction, at index: Int) {
        let me = nodes[index].id
        switch action {
        case .sendToSeed(let frame):
            seedReceived(frame, from: index)
        case .log(let level, let text):
            if level >= keptLogLevel { logs.append("\(now.milliseconds(since: .zero)) \(me): \(text)") }
        case .signAndSendResume, .signedIn, .signInFailed, .seedRestored, .useICEServers, .addCandidate, .connectToSeed:
            break
        case .publishCompleted(let id, let error):
            publishCompletions.append(PublishCompletion(node: me, id: id, error: error, time: now))
        case .openLink(let peer, let session, _):
            guard let other = indexByID[peer] else { return }
            if links[LinkKey(index, other, session)] == nil { links[LinkKey(index, other, session)] = Link() }
            // The peer connection describes itself at once.
            // A well-formed fingerprint (the controller refuses others), unique per node and session.
            let bytes = [UInt64(index), session].flatMap { value in
                (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
            }
            let sdp = "a=fingerprint:sha-256 " + bytes.map { byte in
                (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }.joined(separator: ":")
            perform(nodes[index].controller.localDescription(sdp, peer: peer, session: session, now: now), at: index)
        case .applyAnswer(let peer, let session, _):
            guard let other = indexByID[peer], nodes[other].alive, links[LinkKey(index, other, session)] != nil else { return }
            let at = now.adding(milliseconds: configuration.connectDelayMilliseconds)
            queue.push(.open(node: index, peer: peer, session: session), at: at)
            queue.push(.open(node: other, peer: me, session: session), at: at)
        case .closeLink(let peer, let session):
            guard let other = indexByID[peer] else { return }
            let key = LinkKey(index, other, session)
            guard let link = links.removeValue(forKey: key) else { return }
            var at = now.adding(milliseconds: latency())
            if link.isOpen {
                nodes[index].open[other] = nil
                nodes[other].open[index] = nil
                // The close reaches the peer after every frame already in flight.
                at = Swift.max(at, index == key.low ? link.lastDelivery.0 : link.lastDelivery.1)
            }
            if nodes[other].alive { queue.push(.closed(node: other, peer: me, session: session), at: at) }
        case .sendFrame(let peer, let session, let frame):
            transmit(frame, from: index, to: peer, session: session)
        case .signAndSendFrame(let peer, let session, _, let frame):
            transmit(StandInSignatures.signed(frame), from: index, to: peer, session: session)
        case .verifyHello(let peer, let session, _):
            perform(nodes[index].controller.helloVerified(peer: peer, session: session, valid: true, now: now), at: index)
        case .signSignal(let id, _):
            perform(nodes[index].controller.signalSigned(id: id, signature: StandInSignatures.signature, now: now), at: index)
        case .verifySignal(let id, _):
            perform(nodes[index].controller.signalVerified(id: id, valid: true, now: now), at: index)
        case .deliverMessage(let message, let replyID):
            deliveries.append(.message(receiver: me, message))
            if echoRequests, let replyID {
                perform(nodes[index].controller.respond(replyID: replyID, payload: message.payload, now: now), at: index)
            }
        case .requestCompleted(let requestID, let outcome):
            deliveries.append(.completed(requester: me, requestID: requestID, outcome: outcome))
        case .deliverSpread(let delivery):
            spreadArrivals.append(Simulation.SpreadArrival(receiver: me, delivery: delivery, time: now))
        case .kvsCompleted(let operation, let result):
            kvsCompletions.append(KVSCompletion(node: me, operation: operation, result: result, time: now))
        }
    }

    private func transmit(_ frame: [UInt8], from index: Int, to peer: NodeID, session: UInt64) {
        guard let other = indexByID[peer] else { return }
        let key = LinkKey(index, other, session)
        guard var link = links[key], link.isOpen else { return }
        framesSent += 1
        // Overlay frames may be lost (the overlay retries); a lost hello would only stall the link.
        if frame.first == LinkFrameType.overlay.rawValue && isLost() { return }
        var at = now.adding(milliseconds: latency())
        if index == key.low {
            at = Swift.max(at, link.lastDelivery.0)
            link.lastDelivery.0 = at
        } else {
            at = Swift.max(at, link.lastDelivery.1)
            link.lastDelivery.1 = at
        }
        links[key] = link
        queue.push(.frame(frame, from: nodes[index].id, to: other, session: session), at: at)
    }

    /// The simulated seed: answers after a round trip (one latency each way).
    private func seedReceived(_ frame: SeedFrame, from index: Int) {
        seedFrames += 1
        let roundTrip = now.adding(milliseconds: latency() + latency())
        switch frame {
        case .signal(let to, let payload):
            if let other = indexByID[to], nodes[other].alive {
                queue.push(.seedFrame(.relayedSignal(from: nodes[index].id, payload: payload), to: other), at: roundTrip)
            } else {
                let refusal = SeedErrorMessage(
                    code: .unknownPeer, message: "no such node", peer: to, sessionID: payload.sessionID)
                queue.push(.seedFrame(.error(refusal), to: index), at: roundTrip)
            }
        case .findPeers:
            let peers = registry.nearest(to: nodes[index].id, perSide: configuration.bootstrapPeersPerSide)
            queue.push(.seedFrame(.peersFound(peers), to: index), at: roundTrip)
        case .renewCertificate, .keepalive, .signIn:
            break
        case .challenge, .signedIn, .certificateRenewed, .relayedSignal, .error, .keepaliveAck, .peersFound:
            break
        }
    }
}
