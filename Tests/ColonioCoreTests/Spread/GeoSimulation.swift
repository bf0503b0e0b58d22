@testable import ColonioCore

/// A deterministic in-memory network of ``GeoInstance``s: any node can send to any other, packets are
/// delivered in FIFO order, time only moves when the test says so.
struct GeoSimulation {
    let space: CoordinateSpace
    private(set) var ids: [NodeID] = []
    var instances: [NodeID: GeoInstance] = [:]
    var positions: [NodeID: Position] = [:]
    private var queue: [(from: NodeID, to: NodeID, bytes: [UInt8])] = []
    private var head = 0
    var deliveries: [NodeID: [SpreadDelivery]] = [:]
    var outcomes: [SpreadMessageID: [GeoDirective]] = [:]
    /// When each publication's first outcome came (virtual time).
    var outcomeTimes: [SpreadMessageID: MonotonicTime] = [:]
    var wanted: [NodeID: Set<NodeID>] = [:]
    /// Nodes stopped by ``crash(_:)``.
    private(set) var crashed: Set<NodeID> = []
    /// Packets sent so far, by kind: announcements and forwards.
    var announcementsSent = 0
    var forwardsSent = 0
    /// Announcements sent so far by each node (tests reset it).
    var announcementsBySender: [NodeID: Int] = [:]
    var now = MonotonicTime(milliseconds: 1_000)
    var random: SplitMix64

    init(space: CoordinateSpace, seed: UInt64) {
        self.space = space
        random = SplitMix64(seed: seed)
    }

    /// Adds a node at `position` that knows one random existing node (as the overlay would give it).
    mutating func join(at position: Position, settings: SpreadSettings = SpreadSettings()) -> NodeID {
        let node = NodeID.random(using: &random)
        var instance = GeoInstance(id: node, space: space, settings: settings)
        let contact = ids.isEmpty ? nil : ids[Int.random(in: 0..<ids.count, using: &random)]
        var directives = try! instance.setPosition(position, now: now)
        if let contact { directives += instance.discovered([contact], now: now) }
        instances[node] = instance
        positions[node] = try! space.validated(position)
        ids.append(node)
        apply(directives, at: node)
        return node
    }

    /// Adds `positions` at once, each node introduced to its true Delaunay neighbours (a fast start for
    /// large tests; ``join(at:settings:)`` exercises discovery from one random contact).
    mutating func bootstrap(_ newPositions: [Position]) {
        let graph = DelaunayGraph(newPositions, in: space)
        var newIDs: [NodeID] = []
        for position in newPositions {
            let node = NodeID.random(using: &random)
            instances[node] = GeoInstance(id: node, space: space)
            positions[node] = try! space.validated(position)
            ids.append(node)
            newIDs.append(node)
        }
        for (index, node) in newIDs.enumerated() {
            var directives = try! instances[node]!.setPosition(newPositions[index], now: now)
            directives += instances[node]!.discovered(graph.neighbours[index].map { newIDs[$0] }, now: now)
            apply(directives, at: node)
        }
    }

    /// Stops `node` without a word: packets to it are dropped; nobody is told (see ``nodeLeft(_:at:)``).
    mutating func crash(_ node: NodeID) {
        crashed.insert(node)
        ids.removeAll { $0 == node }
        instances[node] = nil
        positions[node] = nil
        wanted[node] = nil
    }

    /// Tells `node` that `departed` is gone, as its shell does when their link times out.
    mutating func nodeLeft(_ departed: NodeID, at node: NodeID) {
        let directives = instances[node]!.nodeLeft(departed, now: now)
        apply(directives, at: node)
    }

    mutating func move(_ node: NodeID, to position: Position) {
        let directives = try! instances[node]!.setPosition(position, now: now)
        positions[node] = try! space.validated(position)
        apply(directives, at: node)
    }

    mutating func apply(_ directives: [GeoDirective], at node: NodeID) {
        for directive in directives {
            switch directive {
            case .send(let bytes, let destination):
                if case .announce = try! SpreadPacket(decoding: bytes) {
                    announcementsSent += 1
                    announcementsBySender[node, default: 0] += 1
                } else {
                    forwardsSent += 1
                }
                queue.append((node, destination, bytes))
            case .deliver(let delivery):
                deliveries[node, default: []].append(delivery)
            case .wantNeighbours(let set):
                wanted[node] = set
                // The shell's connect attempt to a crashed node fails: the seed refuses to signal to a node
                // it no longer knows, and the shell reports the departure. It arrives after the packets
                // already queued, as the seed's answer would. (An empty packet stands for it.)
                for gone in set.sorted() where instances[gone] == nil && crashed.contains(gone) {
                    queue.append((gone, node, []))
                }
            case .publishSucceeded(let id), .publishFailed(let id, _):
                outcomes[id, default: []].append(directive)
                if outcomeTimes[id] == nil { outcomeTimes[id] = now }
            }
        }
    }

    /// Delivers queued packets until none are left or `limit` were delivered, advancing the clock by
    /// ``settleStepMilliseconds`` and ticking every node whenever the queue runs dry (announcements the
    /// rate limit held back go out then), until a tick sends nothing; returns whether it settled.
    mutating func run(limit: Int = 5_000_000) -> Bool {
        var delivered = 0
        for _ in 0..<1_000 {
            guard deliverQueued(limit: limit, delivered: &delivered) else { return false }
            tick(advancing: GeoSimulation.settleStepMilliseconds)
            if queue.isEmpty { return true }
        }
        return false
    }

    /// Delivers queued packets, and those they cause, without moving the clock; returns `false` when
    /// `limit` deliveries (counted in `delivered`) were reached first.
    @discardableResult
    mutating func deliverQueued(limit: Int = 5_000_000) -> Bool {
        var delivered = 0
        return deliverQueued(limit: limit, delivered: &delivered)
    }

    private mutating func deliverQueued(limit: Int, delivered: inout Int) -> Bool {
        while head < queue.count {
            guard delivered < limit else { return false }
            let (from, to, bytes) = queue[head]
            head += 1
            delivered += 1
            guard instances[to] != nil else { continue }
            if bytes.isEmpty {
                nodeLeft(from, at: to)
                continue
            }
            let directives = instances[to]!.receive(bytes, from: from, now: now)
            apply(directives, at: to)
            if head > 100_000 {
                queue.removeFirst(head)
                head = 0
            }
        }
        queue.removeAll()
        head = 0
        return true
    }

    /// How far the clock moves between delivery rounds in ``run(limit:)``: one announcement interval.
    static let settleStepMilliseconds: UInt64 = 100

    mutating func tick(advancing milliseconds: UInt64) {
        now = now.adding(milliseconds: milliseconds)
        for node in ids {
            let directives = instances[node]!.tick(now: now)
            apply(directives, at: node)
        }
    }

    /// Nodes whose neighbour set differs from their links in the global Delaunay graph of sites
    /// (``SiteLinks``).
    func nodesWithWrongNeighbours() -> [NodeID] {
        let graph = SiteLinks.graph(ids: ids, positions: ids.map { positions[$0]! }, in: space)
        var wrong: [NodeID] = []
        for (index, node) in ids.enumerated() {
            let expected = Set(graph[index].map { ids[$0] })
            if Set(instances[node]!.neighbours.keys) != expected { wrong.append(node) }
        }
        return wrong
    }

    mutating func publish(
        from node: NodeID, topic: String = "t", payload: [UInt8] = [1, 2, 3], center: Position, radius: Double,
        options: SpreadOptions = SpreadOptions()
    ) -> SpreadMessageID {
        let (id, directives) = try! instances[node]!.publish(
            topic: topic, payload: payload, center: center, radius: radius, options: options, now: now)
        apply(directives, at: node)
        return id
    }
}
