import ColonioCore

/// Many ``NodeMachine``s on an in-memory transport with a virtual clock.
///
/// Everything random (node IDs, latencies, losses, tick phases) comes from one seeded generator, and
/// events at the same virtual time run in the order they were scheduled, so a run is reproducible from
/// its configuration. The simulated seed hands a joining node the live nodes nearest its ID as bootstrap
/// peers. Links are reliable and ordered like WebRTC data channels (unless ``SimulationConfiguration/lossRate``
/// drops frames); a crashed node's peers see its links close after
/// ``SimulationConfiguration/failureDetectionMilliseconds``.
///
/// With a ``SimulationConfiguration/space`` every node also runs a ``GeoInstance`` (location pub/sub),
/// wired as the native node shell wires it — geo neighbours become auxiliary links, ring neighbours are
/// geo contacts — except that pub/sub packets go straight to the addressed node over an ordered channel
/// with the same delay and loss (see ``performGeo(_:at:)``). Every node can also run a
/// ``KVSInstance`` whose messages travel through the overlay (see ``startKVS(_:key:at:)``).
///
/// Cost per event is independent of the number of nodes (apart from heap and dictionary operations),
/// so 10,000 nodes run on one machine.
public final class Simulation {
    /// Something the simulated application saw.
    public enum Delivery: Equatable, Sendable {
        /// A one-way message or request reached `receiver`.
        case message(receiver: NodeID, IncomingMessage)
        /// A request sent by `requester` finished.
        case completed(requester: NodeID, requestID: UInt64, outcome: RequestOutcome)
    }

    /// A spread message handed to a subscriber.
    public struct SpreadArrival: Equatable, Sendable {
        /// The subscriber.
        public var receiver: NodeID
        /// What it received.
        public var delivery: SpreadDelivery
        /// When (virtual).
        public var time: MonotonicTime
    }

    /// A KVS operation that finished.
    public struct KVSCompletion: Equatable, Sendable {
        /// The node that ran the operation.
        public var node: NodeID
        /// The ID ``startKVS(_:key:at:)`` returned.
        public var operation: KVSOperationID
        /// Its result.
        public var result: Result<KVSValue?, KVSError>
        /// When (virtual).
        public var time: MonotonicTime
    }

    private enum Event {
        case tick(Int)
        case frame([UInt8], from: NodeID, to: Int)
        /// A pub/sub packet on the direct channel between two nodes (see ``Simulation/performGeo(_:at:)``).
        case spread([UInt8], from: Int, to: Int)
        case open(LinkKey)
        /// The link to `peer` closed; `crashed`: because `peer` died (its geo state goes too).
        case closed(node: Int, peer: NodeID, crashed: Bool)
        /// The seed refused a connect's first signal: `peer` is not signed in (it died).
        case refused(node: Int, peer: NodeID)
    }

    private struct LinkKey: Hashable {
        var low: Int
        var high: Int
        init(_ a: Int, _ b: Int) {
            low = Swift.min(a, b)
            high = Swift.max(a, b)
        }
    }

    private struct Link {
        var isOpen: Bool
        /// Latest scheduled delivery time per direction (low to high, high to low): keeps frames in order.
        var lastDelivery: (MonotonicTime, MonotonicTime) = (.zero, .zero)
    }

    struct Node {
        var id: NodeID
        var machine: NodeMachine
        var alive: Bool
        var peers: Set<Int> = []
        var geo: GeoInstance?
        var kvs: KVSInstance?
    }

    /// The configuration the simulation runs with.
    public let configuration: SimulationConfiguration
    /// The virtual time.
    public private(set) var now = MonotonicTime.zero
    /// What the simulated applications saw, in order; tests read and clear it.
    public var deliveries: [Delivery] = []
    /// Whether nodes answer every request with its own payload (registered handler name: `"echo"`).
    public var echoRequests = true
    /// Events processed so far.
    public private(set) var eventCount: UInt64 = 0
    /// Frames handed to the transport so far.
    public private(set) var framesSent: UInt64 = 0
    /// Pub/sub packets sent so far (also counted in ``framesSent``).
    public private(set) var spreadPacketsSent: UInt64 = 0
    /// Spread messages subscribers received, in order; tests and checks read and clear it.
    public var spreadArrivals: [SpreadArrival] = []
    /// Spread forward packets sent per publication (each is one opaque overlay message); read and clear.
    public var spreadForwards: [SpreadMessageID: Int] = [:]
    /// Finished KVS operations, in order; read and clear.
    public var kvsCompletions: [KVSCompletion] = []

    var nodes: [Node] = []
    var indexByID: [NodeID: Int] = [:]
    /// Live nodes that have started, in ID order: the simulated seed's registry.
    private var registry = SimulatedRegistry()
    private var links: [LinkKey: Link] = [:]
    /// Latest scheduled pub/sub packet per ordered pair of nodes: keeps each pair's packets in order.
    var spreadChannels: [UInt64: MonotonicTime] = [:]
    private var queue = EventQueue<Event>()
    var random: SplitMix64

    /// The handler name every simulated node registers.
    public static let echoHandler = "echo"

    /// Creates an empty simulation.
    public init(configuration: SimulationConfiguration = SimulationConfiguration()) {
        self.configuration = configuration
        random = SplitMix64(seed: configuration.seed)
    }

    // MARK: - Population

    /// IDs of live nodes, in ID order.
    public var liveNodeIDs: [NodeID] { registry.ids }
    /// How many nodes are alive.
    public var liveCount: Int { registry.count }

    /// The machine of a node (alive or crashed), for inspection.
    public func machine(of id: NodeID) -> NodeMachine? {
        indexByID[id].map { nodes[$0].machine }
    }

    /// A random ID that no node has.
    public func randomNodeID() -> NodeID {
        while true {
            let id = NodeID.random(using: &random)
            if indexByID[id] == nil { return id }
        }
    }

    /// Starts a node now with the live nodes nearest its ID as bootstrap peers; returns its ID.
    ///
    /// With a ``SimulationConfiguration/space``, `position` (default: the origin) places the node for
    /// pub/sub and it subscribes to `topics`.
    @discardableResult
    public func addNode(id: NodeID? = nil, position: Position? = nil, topics: [String] = []) -> NodeID {
        let id = id ?? randomNodeID()
        precondition(indexByID[id] == nil, "node \(id) already exists")
        let index = nodes.count
        var machine = NodeMachine(settings: configuration.settings)
        machine.registerHandler(Simulation.echoHandler)
        nodes.append(Node(id: id, machine: machine, alive: true))
        indexByID[id] = index
        let bootstrap = bootstrapPeers(for: id)
        registry.insert(id)
        let directives = nodes[index].machine.start(localID: id, bootstrapPeers: bootstrap, now: now)
        perform(directives, at: index)
        if let space = configuration.space, nodes[index].alive {
            // As the node shell: subscriptions and position first, then the seed's peers as contacts.
            var geo = GeoInstance(id: id, space: space, settings: configuration.spreadSettings)
            for topic in topics { geo.subscribe(topic) }
            let placed = (try? geo.setPosition(position ?? Position(x: 0, y: 0), now: now)) ?? []
            let contacted = configuration.geoContactsFromRing ? geo.discovered(bootstrap, now: now) : []
            nodes[index].geo = geo
            performGeo(placed + contacted, at: index)
        }
        let phase = configuration.tickIntervalMilliseconds > 0
            ? random.next() % configuration.tickIntervalMilliseconds : 0
        queue.push(.tick(index), at: now.adding(milliseconds: phase + 1))
        return id
    }

    /// Crashes a node: it stops at once, and its peers notice after the failure-detection delay.
    public func crash(_ id: NodeID) {
        guard let index = indexByID[id], nodes[index].alive else { return }
        nodes[index].alive = false
        registry.remove(id)
        for peer in nodes[index].peers.sorted() {
            links[LinkKey(index, peer)] = nil
            nodes[peer].peers.remove(index)
            queue.push(
                .closed(node: peer, peer: id, crashed: true),
                at: now.adding(milliseconds: configuration.failureDetectionMilliseconds))
        }
        nodes[index].peers.removeAll()
    }

    // MARK: - Application traffic

    /// Sends a one-way message from a live node.
    public func send(from source: NodeID, name: String = Simulation.echoHandler, payload: [UInt8], to destination: Destination) throws(NodeError) {
        guard let index = indexByID[source], nodes[index].alive else { throw .notStarted }
        let directives = try nodes[index].machine.send(name: name, payload: payload, to: destination, now: now)
        perform(directives, at: index)
    }

    /// Sends a request from a live node; its outcome appears in ``deliveries``.
    @discardableResult
    public func request(
        from source: NodeID, name: String = Simulation.echoHandler, payload: [UInt8], to destination: Destination
    ) throws(NodeError) -> UInt64 {
        guard let index = indexByID[source], nodes[index].alive else { throw .notStarted }
        let (id, directives) = try nodes[index].machine.request(name: name, payload: payload, to: destination, now: now)
        perform(directives, at: index)
        return id
    }

    // MARK: - Running

    /// Runs every event up to `milliseconds` of virtual time from now.
    public func run(for milliseconds: UInt64) {
        run(until: now.adding(milliseconds: milliseconds))
    }

    /// Runs every event scheduled up to `end`, then sets the clock to `end`.
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

    /// The nodes a live node should have as successors and predecessors, from the live population.
    public func expectedNeighbours(of id: NodeID) -> (successors: [NodeID], predecessors: [NodeID]) {
        registry.neighbours(
            of: id, successors: Int(configuration.settings.successorCount),
            predecessors: Int(configuration.settings.predecessorCount))
    }

    /// Live nodes whose successor or predecessor list differs from the true one.
    public func nodesWithWrongNeighbours() -> [NodeID] {
        registry.ids.filter { id in
            guard let ring = machine(of: id)?.ring else { return true }
            let expected = expectedNeighbours(of: id)
            return ring.successors != expected.successors || ring.predecessors != expected.predecessors
                || !(ring.successors + ring.predecessors).allSatisfy { ring.isLinked($0) }
        }
    }

    /// The live node that owns `key`: the greatest live ID at or before it, wrapping.
    public func owner(of key: NodeID) -> NodeID? {
        registry.owner(of: key)
    }

    /// Open links per live node, in ID order of the nodes.
    public func linkCounts() -> [Int] {
        registry.ids.map { id in nodes[indexByID[id]!].peers.count }
    }

    // MARK: - Internals

    private func bootstrapPeers(for id: NodeID) -> [NodeID] {
        guard configuration.randomBootstrapPeers, registry.count > 0 else {
            return registry.nearest(to: id, perSide: configuration.bootstrapPeersPerSide)
        }
        let perSide = Swift.min(configuration.bootstrapPeersPerSide, (registry.count + 1) / 2)
        var peers: [NodeID] = []
        for _ in 0..<(2 * perSide) {
            let peer = registry.ids[Int(random.next() % UInt64(registry.count))]
            if !peers.contains(peer) { peers.append(peer) }
        }
        return peers
    }

    /// Schedules a pub/sub packet on the direct, ordered channel from one node to another.
    func sendSpread(_ bytes: [UInt8], from index: Int, to other: Int) {
        framesSent += 1
        spreadPacketsSent += 1
        if configuration.lossRate > 0, Double(random.next() >> 11) / Double(UInt64(1) << 53) < configuration.lossRate {
            return
        }
        let channel = UInt64(index) << 32 | UInt64(other)
        let at = Swift.max(now.adding(milliseconds: latency()), spreadChannels[channel] ?? .zero)
        spreadChannels[channel] = at
        queue.push(.spread(bytes, from: index, to: other), at: at)
    }

    private func latency() -> UInt64 {
        let range = configuration.latencyMilliseconds
        let span = range.upperBound - range.lowerBound + 1
        return range.lowerBound + random.next() % span
    }

    private func handle(_ event: Event) {
        switch event {
        case .tick(let index):
            guard nodes[index].alive else { return }
            let directives = nodes[index].machine.tick(now: now)
            perform(directives, at: index)
            if let geoDirectives = nodes[index].geo?.tick(now: now) { performGeo(geoDirectives, at: index) }
            if let wake = nodes[index].kvs?.nextWakeTime, wake <= now {
                let kvsDirectives = nodes[index].kvs!.tick(now: now, using: &random)
                performKVS(kvsDirectives, at: index)
            }
            queue.push(.tick(index), at: now.adding(milliseconds: Swift.max(1, configuration.tickIntervalMilliseconds)))
        case .spread(let bytes, let source, let index):
            let sender = nodes[source].id
            guard nodes[index].alive, nodes[source].alive,
                let directives = nodes[index].geo?.receive(bytes, from: sender, now: now)
            else { return }
            performGeo(directives, at: index)
        case .frame(let bytes, let source, let index):
            guard nodes[index].alive else { return }
            let directives = nodes[index].machine.received(bytes, from: source, now: now)
            perform(directives, at: index)
        case .open(let key):
            guard var link = links[key], !link.isOpen else { return }
            guard nodes[key.low].alive, nodes[key.high].alive else {
                links[key] = nil
                return
            }
            link.isOpen = true
            links[key] = link
            nodes[key.low].peers.insert(key.high)
            nodes[key.high].peers.insert(key.low)
            let first = nodes[key.low].machine.linkOpened(nodes[key.high].id, now: now)
            perform(first, at: key.low)
            // The first side's directives may already have closed the link again.
            guard links[key]?.isOpen == true else { return }
            let second = nodes[key.high].machine.linkOpened(nodes[key.low].id, now: now)
            perform(second, at: key.high)
        case .closed(let index, let peer, let crashed):
            guard nodes[index].alive else { return }
            let directives = nodes[index].machine.linkClosed(peer, now: now)
            perform(directives, at: index)
            if crashed, let geoDirectives = nodes[index].geo?.nodeLeft(peer, now: now) {
                performGeo(geoDirectives, at: index)
            }
        case .refused(let index, let peer):
            // As the node shell on the seed's "unknown peer": the attempt failed, and pub/sub forgets the node.
            guard nodes[index].alive, let other = indexByID[peer] else { return }
            let key = LinkKey(index, other)
            guard links[key]?.isOpen == false else { return }
            links[key] = nil
            perform(nodes[index].machine.linkFailed(peer, now: now), at: index)
            if let geoDirectives = nodes[index].geo?.nodeLeft(peer, now: now) { performGeo(geoDirectives, at: index) }
        }
    }

    /// Whether the node shell would signal a connect to `peer` through the seed: when the overlay has no
    /// path to it (no links, or this node would be the peer's own next hop), as `ColonioNode.openLink`.
    private func signalsThroughSeed(from index: Int, to peer: NodeID) -> Bool {
        guard let ring = nodes[index].machine.ring, ring.linkCount > 0, case .forward = ring.nextHop(toward: peer) else {
            return true
        }
        return false
    }

    func perform(_ directives: [NodeDirective], at index: Int) {
        for directive in directives {
            guard nodes[index].alive else { return }
            switch directive {
            case .connect(let peer):
                guard let other = indexByID[peer], other != index else { continue }
                let key = LinkKey(index, other)
                guard links[key] == nil else { continue }  // open, or an attempt from either side in flight
                links[key] = Link(isOpen: false)
                if nodes[other].alive {
                    queue.push(.open(key), at: now.adding(milliseconds: configuration.connectDelayMilliseconds))
                } else if signalsThroughSeed(from: index, to: peer) {
                    // The seed knows the peer is gone and says so after a round trip.
                    queue.push(.refused(node: index, peer: peer), at: now.adding(milliseconds: 2 * latency()))
                }
                // Otherwise the signal goes over the overlay and is lost: the connect timeout handles it.
            case .disconnect(let peer):
                guard let other = indexByID[peer] else { continue }
                let key = LinkKey(index, other)
                guard let link = links.removeValue(forKey: key) else { continue }
                guard link.isOpen else { continue }
                nodes[index].peers.remove(other)
                nodes[other].peers.remove(index)
                // The close reaches the peer after every frame already in flight on the link.
                let lastDelivery = index == key.low ? link.lastDelivery.0 : link.lastDelivery.1
                let at = Swift.max(now.adding(milliseconds: latency()), lastDelivery)
                queue.push(.closed(node: other, peer: nodes[index].id, crashed: false), at: at)
            case .transmit(let bytes, let peer):
                guard let other = indexByID[peer] else { continue }
                let key = LinkKey(index, other)
                guard var link = links[key], link.isOpen else { continue }
                framesSent += 1
                if configuration.lossRate > 0,
                    Double(random.next() >> 11) / Double(UInt64(1) << 53) < configuration.lossRate
                {
                    continue
                }
                var at = now.adding(milliseconds: latency())
                if index == key.low {
                    at = Swift.max(at, link.lastDelivery.0)
                    link.lastDelivery.0 = at
                } else {
                    at = Swift.max(at, link.lastDelivery.1)
                    link.lastDelivery.1 = at
                }
                links[key] = link
                queue.push(.frame(bytes, from: nodes[index].id, to: other), at: at)
            case .deliverMessage(let message):
                deliveries.append(.message(receiver: nodes[index].id, message))
            case .deliverRequest(let message):
                deliveries.append(.message(receiver: nodes[index].id, message))
                if echoRequests, let token = message.reply {
                    let response = nodes[index].machine.respond(to: token, payload: message.payload, now: now)
                    perform(response, at: index)
                }
            case .requestCompleted(let requestID, let outcome):
                deliveries.append(.completed(requester: nodes[index].id, requestID: requestID, outcome: outcome))
            case .deliverSpread(let incoming):
                guard let directives = nodes[index].geo?.receive(incoming.bytes, from: incoming.source, now: now) else {
                    continue
                }
                performGeo(directives, at: index)
            case .deliverKVS(let incoming):
                guard let message = try? KVSMessage(decoding: incoming.bytes) else { continue }
                ensureKVS(at: index)
                let directives = nodes[index].kvs!.receive(message, from: incoming.source, now: now, using: &random)
                performKVS(directives, at: index)
            case .neighboursChanged(let successors, let predecessors):
                // Ring neighbours are reachable: a starting point for finding geographic neighbours.
                guard configuration.geoContactsFromRing,
                    let directives = nodes[index].geo?.discovered(successors + predecessors, now: now)
                else {
                    continue
                }
                performGeo(directives, at: index)
            case .peerLost(let peer), .peerLeft(let peer):
                // As the node shell: pub/sub forgets a node whose link failed or went silent, or that left.
                guard let directives = nodes[index].geo?.nodeLeft(peer, now: now) else { continue }
                performGeo(directives, at: index)
            case .deliverSignal:
                break
            }
        }
    }
}
