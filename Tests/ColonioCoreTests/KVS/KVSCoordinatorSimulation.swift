@testable import ColonioCore

/// Many ``KVSCoordinator``s on a virtual network with random delays, loss and reordering, clients running
/// random operations, and ring changes (joins and crashes) that each node learns of at its own time. The
/// history it records goes to the linearizability checker.
struct KVSCoordinatorSimulation {
    struct Configuration {
        var initialNodes = 24
        var clients = 10
        var operations = 2_000
        var keys = 12
        var lossPercent = 3
        var maximumDelay: UInt64 = 30
        /// Joins and crashes, alternating, spread over the run.
        var changes = 10
        /// Longest time a node takes to learn of a ring change.
        var learningSpread: UInt64 = 1_500
        /// A crash also takes the victim's ring successor, at the same moment: keys whose three replicas
        /// include both lose their majority, and must then fail rather than read stale or lose writes.
        var crashesTakeTheSuccessorToo = false
        var seed: UInt64 = 1
    }

    typealias Operation = HistoryOperation<KVSCommand, Result<KVSValue?, KVSError>>

    private enum Event {
        case ownerRequest([UInt8], from: NodeID, requestID: UInt64, position: NodeID)
        case response([UInt8], to: NodeID, requestID: UInt64)
        case message([UInt8], from: NodeID, to: NodeID)
        case learn(NodeID)
        case requestTimedOut(UInt64)
        case clientStart(Int)
        case change
    }

    private struct Scheduled {
        var time: MonotonicTime
        var sequence: UInt64
        var event: Event
    }

    let configuration: Configuration
    private(set) var history: [Operation] = []
    private(set) var completed = 0
    private(set) var unknownOutcomes = 0
    /// Operations lost with a crashed client node.
    private(set) var abandoned = 0
    /// Keys (of those the clients use) that some crash left with fewer than a majority of replicas.
    private(set) var keysThatLostAMajority: Set<String> = []
    private var coordinators: [NodeID: KVSCoordinator] = [:]
    private var down: Set<NodeID> = []
    private var now = MonotonicTime.zero
    private var random: SplitMix64
    private var events: [Scheduled] = []
    private var sequence: UInt64 = 0
    private var nextRequestID: UInt64 = 1
    private var requests: [UInt64: (node: NodeID, operation: KVSClientOperationID)] = [:]
    /// The owner each client request reached.
    private var deliveredTo: [UInt64: NodeID] = [:]
    /// Per node, its operations in flight: client index and history index.
    private var inFlight: [NodeID: [KVSClientOperationID: (client: Int, history: Int)]] = [:]
    private var clientNode: [Int: NodeID] = [:]
    private var started = 0
    private var changesDone = 0
    private var crashNext = false
    private let settings: KVSSettings
    private let jointMilliseconds: UInt64

    init(_ configuration: Configuration) {
        self.configuration = configuration
        random = SplitMix64(seed: configuration.seed)
        var settings = KVSSettings()
        settings.operationTimeoutMilliseconds = 3_000
        self.settings = settings
        // Learning spread + operation timeout + the largest round trip, as `KVSCoordinator.jointMilliseconds` does.
        jointMilliseconds = configuration.learningSpread + UInt64(settings.operationTimeoutMilliseconds) + 200
        for _ in 0..<configuration.initialNodes { addNode() }
        for node in alive { learn(node) }
    }

    private var alive: [NodeID] { coordinators.keys.filter { !down.contains($0) }.sorted() }

    mutating func run() {
        for client in 0..<configuration.clients { schedule(after: UInt64(client), .clientStart(client)) }
        let spacing = UInt64(configuration.operations / max(configuration.changes, 1)) * 8
        for index in 0..<configuration.changes { schedule(after: 2_000 + UInt64(index) * spacing, .change) }
        var nextTick = now.adding(milliseconds: 10)
        while !events.isEmpty || started < configuration.operations || !inFlight.values.allSatisfy(\.isEmpty) {
            if let first = events.first, first.time <= nextTick {
                events.removeFirst()
                now = first.time
                handle(first.event)
            } else {
                now = nextTick
                nextTick = now.adding(milliseconds: 10)
                for node in alive { perform(coordinators[node]!.tick(now: now), at: node) }
            }
            // Bounded: never more than ten virtual minutes.
            if now.milliseconds >= 600_000 { break }
        }
    }

    // MARK: - Events

    private mutating func handle(_ event: Event) {
        switch event {
        case .ownerRequest(let bytes, let from, let requestID, let position):
            let owner = KVSPlacement.replicas(ofPosition: position, sortedNodes: alive, replicationFactor: 1)[0]
            deliveredTo[requestID] = owner
            let token = ReplyToken(requester: from, requestID: requestID, channel: .kvs)
            perform(coordinators[owner]!.received(bytes, from: from, reply: token, now: now), at: owner)
        case .response(let bytes, let to, let requestID):
            deliveredTo[requestID] = nil
            guard !down.contains(to), let request = requests.removeValue(forKey: requestID) else { return }
            perform(coordinators[to]!.ownerResponded(request.operation, outcome: .response(bytes), now: now), at: to)
        case .requestTimedOut(let requestID):
            // The node machine gives up on a request whose owner never answers.
            guard let request = requests.removeValue(forKey: requestID), !down.contains(request.node) else { return }
            perform(coordinators[request.node]!.ownerResponded(request.operation, outcome: .failure(.timeout), now: now), at: request.node)
        case .message(let bytes, let from, let to):
            guard !down.contains(to) else { return }
            perform(coordinators[to]!.received(bytes, from: from, reply: nil, now: now), at: to)
        case .learn(let node):
            learn(node)
        case .clientStart(let client):
            startOperation(for: client)
        case .change:
            changesDone += 1
            if crashNext { crash() } else { join() }
            crashNext.toggle()
        }
    }

    private mutating func startOperation(for client: Int) {
        guard started < configuration.operations else { return }
        var node = clientNode[client] ?? alive[Int.random(in: 0..<alive.count, using: &random)]
        if down.contains(node) { node = alive[Int.random(in: 0..<alive.count, using: &random)] }
        clientNode[client] = node
        started += 1
        let key = KVSKey("key-\(Int.random(in: 0..<configuration.keys, using: &random))")
        let roll = Int.random(in: 0..<100, using: &random)
        let command: KVSCommand
        let bytes = [UInt8(truncatingIfNeeded: started), UInt8(truncatingIfNeeded: started >> 8)]
        switch roll {
        case 0..<45: command = .get
        case 45..<65: command = .put(bytes, condition: .none)
        case 65..<75: command = .put(bytes, condition: .ifAbsent)
        case 75..<85: command = .put(bytes, condition: .ifVersion(UInt64.random(in: 1...6, using: &random)))
        case 85..<95: command = .delete(condition: .none)
        default: command = .delete(condition: .ifPresent)
        }
        sequence += 1
        history.append(Operation(partition: key.description, input: command, output: nil, called: sequence, returned: nil))
        let (operation, directives) = coordinators[node]!.start(command, key: key, now: now)
        inFlight[node, default: [:]][operation] = (client, history.count - 1)
        perform(directives, at: node)
    }

    // MARK: - Ring changes

    private mutating func addNode() {
        var id: NodeID
        repeat { id = NodeID.random(using: &random) } while coordinators[id] != nil
        coordinators[id] = KVSCoordinator(
            nodeID: id, settings: settings, jointMilliseconds: jointMilliseconds, randomSeed: random.next(), now: now)
    }

    private mutating func join() {
        let before = Set(coordinators.keys)
        addNode()
        let joiner = coordinators.keys.first { !before.contains($0) }!
        learn(joiner)
        announceChange()
    }

    /// Crashes a node none of whose ring neighbours crashed: every key keeps a majority of its replicas.
    /// With ``Configuration/crashesTakeTheSuccessorToo``, its successor goes with it.
    private mutating func crash() {
        let ring = alive
        guard ring.count > 5 else { return }
        let index = Int.random(in: 0..<ring.count, using: &random)
        var victims = [ring[index]]
        if configuration.crashesTakeTheSuccessorToo { victims.append(ring[(index + 1) % ring.count]) }
        for key in 0..<configuration.keys {
            let name = "key-\(key)"
            let replicas = KVSPlacement.replicas(
                ofPosition: KVSPlacement.position(ofKey: KVSKey(name)), sortedNodes: ring, replicationFactor: 3)
            if replicas.filter(victims.contains).count >= 2 { keysThatLostAMajority.insert(name) }
        }
        for victim in victims { takeDown(victim) }
        announceChange()
    }

    private mutating func takeDown(_ victim: NodeID) {
        down.insert(victim)
        for (requestID, owner) in deliveredTo.sorted(by: { $0.key < $1.key }) where owner == victim {
            deliveredTo[requestID] = nil
            schedule(after: 5_000, .requestTimedOut(requestID))
        }
        // Its clients' operations stay open (their outcome is unknown); the clients move on elsewhere.
        for entry in (inFlight.removeValue(forKey: victim) ?? [:]).values.sorted(by: { $0.client < $1.client }) {
            unknownOutcomes += 1
            abandoned += 1
            schedule(after: 1, .clientStart(entry.client))
        }
    }

    /// Every live node learns of the change at a random time within the learning spread.
    private mutating func announceChange() {
        for node in alive {
            schedule(after: UInt64.random(in: 1...configuration.learningSpread, using: &random), .learn(node))
        }
    }

    private mutating func learn(_ node: NodeID) {
        guard !down.contains(node) else { return }
        let ring = alive
        guard let index = ring.firstIndex(of: node) else { return }
        var successors: [NodeID] = []
        var predecessors: [NodeID] = []
        for step in 1...2 where step < ring.count {
            successors.append(ring[(index + step) % ring.count])
            predecessors.append(ring[(index - step + ring.count * 2) % ring.count])
        }
        perform(coordinators[node]!.neighboursChanged(successors: successors, predecessors: predecessors, now: now), at: node)
    }

    // MARK: - Directives

    private mutating func perform(_ directives: [KVSNodeDirective], at node: NodeID) {
        for directive in directives {
            switch directive {
            case .requestOwner(let bytes, let position, let operation):
                let requestID = nextRequestID
                nextRequestID += 1
                requests[requestID] = (node, operation)
                transmit(.ownerRequest(bytes, from: node, requestID: requestID, position: position))
            case .send(let bytes, let to):
                transmit(.message(bytes, from: node, to: to))
            case .respond(let token, let bytes):
                transmit(.response(bytes, to: token.requester, requestID: token.requestID))
            case .complete(let operation, let result):
                guard let entry = inFlight[node]?.removeValue(forKey: operation) else { continue }
                completed += 1
                sequence += 1
                switch result {
                case .success, .failure(.conditionFailed):
                    history[entry.history].output = result
                    history[entry.history].returned = sequence
                case .failure(.unavailable):
                    // Certainly not applied: the checker may drop it.
                    history[entry.history].output = nil
                    unknownOutcomes += 1
                case .failure:
                    unknownOutcomes += 1
                }
                schedule(after: UInt64.random(in: 0...5, using: &random), .clientStart(entry.client))
            }
        }
    }

    /// Sends over the virtual network: lost with the configured probability, else delayed 1...maximumDelay ms
    /// (so messages overtake each other). A client's request is never lost: the node machine would retry it.
    private mutating func transmit(_ event: Event) {
        if case .message = event, Int.random(in: 0..<100, using: &random) < configuration.lossPercent { return }
        schedule(after: UInt64.random(in: 1...configuration.maximumDelay, using: &random), event)
    }

    private mutating func schedule(after milliseconds: UInt64, _ event: Event) {
        sequence += 1
        let item = Scheduled(time: now.adding(milliseconds: milliseconds), sequence: sequence, event: event)
        // Sorted insert by (time, sequence): simple and deterministic.
        var low = 0
        var high = events.count
        while low < high {
            let middle = (low + high) / 2
            let other = events[middle]
            if other.time < item.time || (other.time == item.time && other.sequence < item.sequence) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        events.insert(item, at: low)
    }
}
