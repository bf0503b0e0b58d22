import ColonioSimulator
@testable import ColonioCore

/// A deterministic in-memory network of ``KVSInstance``s with virtual time, for the KVS tests: messages
/// travel through the wire codec with random delay (so they reorder), random loss, partitions, node
/// crashes and restarts, and ring membership changes with joint quorums. Every client operation is
/// recorded with global sequence numbers for the linearizability checker.
struct KVSSimulation {
    struct Configuration {
        var seed: UInt64
        var nodeCount = 100
        var clientCount = 20
        var operationCount = 10_000
        var keyCount = 50
        var lossPercent = 5
        var minimumDelayMilliseconds: UInt64 = 1
        var maximumDelayMilliseconds: UInt64 = 40
        /// Crash one node at a time (never two replicas of a key at once), each for this long; 0: none.
        var crashMilliseconds: UInt64 = 0
        /// Cut an arc of 10 consecutive nodes off from the rest once, for this long; 0: none.
        var partitionMilliseconds: UInt64 = 0
        var joins = 0
        var leaves = 0
        /// Phase timeout a little above the worst round trip (2 x 40 ms), as a shell would tune it.
        var timing: KVSTiming = {
            var timing = KVSTiming()
            timing.phaseTimeoutMilliseconds = 150
            return timing
        }()
        var settings = KVSSettings()
    }

    typealias Operation = HistoryOperation<KVSCommand, Result<KVSValue?, KVSError>>

    struct Outcome {
        var history: [Operation]
        /// Every client operation's result, including those the checker may drop.
        var results: [Result<KVSValue?, KVSError>?]
        var messagesSent = 0
        var messagesDelivered = 0
        var virtualMilliseconds: UInt64 = 0
        var crashes = 0
        var joins = 0
        var leaves = 0
        var repairs = 0
        /// The value of every key read at the end, after all faults healed.
        var finalValues: [String: KVSValue?] = [:]
    }

    private enum Event {
        case deliver(KVSMessage, from: NodeID, to: NodeID)
        case tick(NodeID)
        case clientStart(Int)
        case crash
        case restart(NodeID)
        case partition(Set<NodeID>)
        case heal
        case membershipChange
        case endTransition
    }

    private struct PendingOperation {
        var client: Int?
        var historyIndex: Int?
        var key: KVSKey
        var command: KVSCommand
        /// Started before the current membership change: it still uses the old replica set.
        var epoch: Int
    }

    let configuration: Configuration
    private var random: SplitMix64
    private var now: UInt64 = 0
    private var sequence: UInt64 = 0
    private var queue = EventQueue<Event>()
    private var instances: [NodeID: KVSInstance] = [:]
    private var down: Set<NodeID> = []
    private var isolated: Set<NodeID> = []
    private var ring: [NodeID] = []
    private var previousRing: [NodeID]?
    private var leaving: NodeID?
    private var epoch = 0
    private var scheduledTick: [NodeID: UInt64] = [:]
    private var pending: [NodeID: [KVSOperationID: PendingOperation]] = [:]
    private var keys: [KVSKey]
    private var clientBusy: [Bool]
    private var issued = 0
    private var pendingRepairs: Set<KVSKey> = []
    private var transitionReadyAt: UInt64?
    private var outcome = Outcome(history: [], results: [])
    private var finalReads: [String: Int] = [:]

    init(_ configuration: Configuration) {
        self.configuration = configuration
        random = SplitMix64(seed: configuration.seed)
        keys = (0..<configuration.keyCount).map { KVSKey("key-\($0)") }
        clientBusy = Array(repeating: false, count: configuration.clientCount)
        for _ in 0..<configuration.nodeCount { addNode() }
    }

    /// Runs the whole scenario and returns what happened.
    mutating func run() -> Outcome {
        for client in 0..<configuration.clientCount {
            schedule(after: UInt64(client), .clientStart(client))
        }
        if configuration.crashMilliseconds > 0 { schedule(after: 500, .crash) }
        if configuration.partitionMilliseconds > 0 {
            // An arc of 10 consecutive nodes: keys whose replicas all lie inside stay writable only there,
            // keys with a majority outside only outside; those in between lose a majority on one side.
            let cut = Set(ring[40..<50])
            schedule(after: 3_000, .partition(cut))
        }
        if configuration.joins + configuration.leaves > 0 { schedule(after: 300, .membershipChange) }
        while let (time, event) = queue.pop() {
            now = time.milliseconds
            handle(event)
            if issued == configuration.operationCount, !hasClientOperations, transitionReadyAt == nil,
               pendingRepairs.isEmpty, previousRing == nil, outcome.joins == configuration.joins,
               outcome.leaves == configuration.leaves, isolated.isEmpty, down.isEmpty, finalReads.isEmpty {
                startFinalReads()
            }
            if !finalReads.isEmpty, finalReads.values.allSatisfy({ outcome.results[$0] != nil }) { break }
            precondition(now < 3_600_000, "simulation did not finish within an hour of virtual time")
        }
        outcome.virtualMilliseconds = now
        for (key, index) in finalReads {
            if case .success(let value) = outcome.results[index] { outcome.finalValues[key] = value }
        }
        return outcome
    }

    // MARK: - Events

    private mutating func handle(_ event: Event) {
        switch event {
        case .deliver(let message, let sender, let receiver):
            guard instances[receiver] != nil, !down.contains(receiver), !isCut(sender, receiver) else { return }
            outcome.messagesDelivered += 1
            let directives = instances[receiver]!.receive(
                message, from: sender, now: MonotonicTime(milliseconds: now), using: &random)
            apply(directives, at: receiver)
        case .tick(let node):
            guard scheduledTick[node] == now else { return }
            scheduledTick[node] = nil
            guard instances[node] != nil, !down.contains(node) else { return }
            let directives = instances[node]!.tick(now: MonotonicTime(milliseconds: now), using: &random)
            apply(directives, at: node)
        case .clientStart(let client):
            startClientOperation(client)
        case .crash:
            crashSomeNode()
        case .restart(let node):
            down.remove(node)
            scheduleTick(node)
            if hasClientOperations { schedule(after: 500, .crash) }
        case .partition(let cut):
            isolated = cut
            schedule(after: configuration.partitionMilliseconds, .heal)
        case .heal:
            isolated = []
        case .membershipChange:
            beginMembershipChange()
        case .endTransition:
            endTransition()
        }
    }

    private var hasClientOperations: Bool {
        clientBusy.contains(true) || issued < configuration.operationCount
    }

    private func isCut(_ one: NodeID, _ other: NodeID) -> Bool {
        isolated.contains(one) != isolated.contains(other)
    }

    private mutating func apply(_ directives: [KVSDirective], at node: NodeID) {
        for directive in directives {
            switch directive {
            case .send(let message, let receiver):
                outcome.messagesSent += 1
                // Every message crosses the wire codec, as it would in the overlay.
                let decoded = try! KVSMessage(decoding: message.encoded())
                precondition(decoded == message)
                guard Int.random(in: 0..<100, using: &random) >= configuration.lossPercent else { continue }
                guard !isCut(node, receiver) else { continue }
                let delay = UInt64.random(
                    in: configuration.minimumDelayMilliseconds...configuration.maximumDelayMilliseconds,
                    using: &random)
                schedule(after: delay, .deliver(decoded, from: node, to: receiver))
            case .complete(let id, let result):
                complete(id, result, at: node)
            }
        }
        scheduleTick(node)
    }

    private mutating func scheduleTick(_ node: NodeID) {
        guard let wake = instances[node]?.nextWakeTime?.milliseconds else { return }
        let time = max(wake, now)
        if let existing = scheduledTick[node], existing <= time { return }
        scheduledTick[node] = time
        schedule(at: time, .tick(node))
    }

    // MARK: - Clients

    private mutating func startClientOperation(_ client: Int) {
        guard issued < configuration.operationCount else { return }
        let candidates = ring.filter { !down.contains($0) && $0 != leaving }
        let node = candidates[Int.random(in: 0..<candidates.count, using: &random)]
        let key = keys[Int.random(in: 0..<keys.count, using: &random)]
        let command = randomCommand(client: client)
        issued += 1
        clientBusy[client] = true
        start(command, key: key, at: node, client: client)
    }

    private mutating func randomCommand(client: Int) -> KVSCommand {
        let condition: KVSCondition
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<55: condition = .none
        case 55..<70: condition = .ifAbsent
        case 70..<85: condition = .ifPresent
        default: condition = .ifVersion(UInt64.random(in: 1...6, using: &random))
        }
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<30: return .get
        case 30..<75:
            // Unique bytes per put, so the checker can tell every write apart.
            let tag = UInt64(client) << 32 | UInt64(issued)
            return .put((0..<8).map { UInt8(truncatingIfNeeded: tag >> (UInt64($0) * 8)) }, condition: condition)
        default: return .delete(condition: condition)
        }
    }

    private mutating func start(_ command: KVSCommand, key: KVSKey, at node: NodeID, client: Int?) {
        var historyIndex: Int?
        if command != .repair {
            sequence += 1
            historyIndex = outcome.history.count
            outcome.history.append(Operation(
                partition: key.description, input: command, output: nil, called: sequence, returned: nil))
            outcome.results.append(nil)
        }
        let (id, directives) = instances[node]!.start(
            command, key: key, replicas: replicaSet(of: key), now: MonotonicTime(milliseconds: now), using: &random)
        pending[node, default: [:]][id] = PendingOperation(
            client: client, historyIndex: historyIndex, key: key, command: command, epoch: epoch)
        apply(directives, at: node)
    }

    private mutating func complete(_ id: KVSOperationID, _ result: Result<KVSValue?, KVSError>, at node: NodeID) {
        guard let operation = pending[node]?.removeValue(forKey: id) else { return }
        if let index = operation.historyIndex {
            sequence += 1
            outcome.results[index] = result
            switch result {
            case .success, .failure(.conditionFailed):
                outcome.history[index].output = result
                outcome.history[index].returned = sequence
            case .failure:
                // Unknown outcome: the checker lets it take effect at any point after its call, or never.
                break
            }
        }
        if let client = operation.client {
            clientBusy[client] = false
            schedule(after: UInt64.random(in: 0...5, using: &random), .clientStart(client))
        }
        if operation.command == .repair {
            if case .success = result {
                pendingRepairs.remove(operation.key)
                outcome.repairs += 1
            } else {
                // Try again from another old replica.
                start(.repair, key: operation.key, at: repairNode(for: operation.key), client: nil)
            }
        }
        checkTransitionReady()
    }

    private mutating func startFinalReads() {
        let node = ring[0]
        for key in keys {
            finalReads[key.description] = outcome.history.count
            start(.get, key: key, at: node, client: nil)
        }
    }

    // MARK: - Faults

    private mutating func crashSomeNode() {
        let candidates = ring.filter { !down.contains($0) && $0 != leaving && !isolated.contains($0) }
        guard hasClientOperations, isolated.isEmpty, !candidates.isEmpty else {
            if hasClientOperations { schedule(after: 500, .crash) }
            return
        }
        let node = candidates[Int.random(in: 0..<candidates.count, using: &random)]
        down.insert(node)
        outcome.crashes += 1
        // The process dies: its operations never complete; their clients move to another node.
        instances[node]!.abandonOperations()
        for (_, operation) in pending[node] ?? [:] {
            if let client = operation.client {
                clientBusy[client] = false
                schedule(after: 1, .clientStart(client))
            }
            if operation.command == .repair {
                start(.repair, key: operation.key, at: repairNode(for: operation.key), client: nil)
            }
        }
        pending[node] = nil
        scheduledTick[node] = nil
        schedule(after: configuration.crashMilliseconds, .restart(node))
    }

    // MARK: - Membership

    private mutating func addNode() {
        var node = NodeID.random(using: &random)
        while instances[node] != nil { node = NodeID.random(using: &random) }
        instances[node] = KVSInstance(nodeID: node, settings: configuration.settings, timing: configuration.timing)
        let index = ring.firstIndex { $0 > node } ?? ring.count
        ring.insert(node, at: index)
    }

    private func replicas(of key: KVSKey, in nodes: [NodeID]) -> [NodeID] {
        KVSPlacement.replicas(
            ofPosition: KVSPlacement.position(ofKey: key), sortedNodes: nodes,
            replicationFactor: Int(configuration.settings.replicationFactor))
    }

    private func replicaSet(of key: KVSKey) -> KVSReplicaSet {
        KVSReplicaSet(replicas(of: key, in: ring), previous: previousRing.map { replicas(of: key, in: $0) })
    }

    private mutating func repairNode(for key: KVSKey) -> NodeID {
        let old = replicas(of: key, in: previousRing ?? ring).filter { !down.contains($0) }
        let pool = old.isEmpty ? ring.filter { !down.contains($0) } : old
        return pool[Int.random(in: 0..<pool.count, using: &random)]
    }

    /// Joint phase: quorums need majorities of the old and the new replicas; every key whose replicas
    /// changed is rewritten under joint quorums. The phase ends once that is done and no operation started
    /// under the old replica sets alone is still running.
    private mutating func beginMembershipChange() {
        let joinsLeft = configuration.joins - outcome.joins
        let leavesLeft = configuration.leaves - outcome.leaves
        guard joinsLeft + leavesLeft > 0 else { return }
        let join = leavesLeft == 0 || (joinsLeft > 0 && Bool.random(using: &random))
        previousRing = ring
        epoch += 1
        if join {
            addNode()
            outcome.joins += 1
        } else {
            let candidates = ring.filter { !down.contains($0) }
            let node = candidates[Int.random(in: 0..<candidates.count, using: &random)]
            leaving = node
            ring.removeAll { $0 == node }
            outcome.leaves += 1
        }
        // Keys held by any old replica whose replica set changed.
        var affected = Set<KVSKey>()
        for (_, instance) in instances {
            for key in instance.acceptorStates.keys
            where replicas(of: key, in: ring) != replicas(of: key, in: previousRing!) {
                affected.insert(key)
            }
        }
        pendingRepairs = affected
        for key in affected.sorted() {
            start(.repair, key: key, at: repairNode(for: key), client: nil)
        }
        checkTransitionReady()
    }

    private mutating func checkTransitionReady() {
        guard previousRing != nil, transitionReadyAt == nil, pendingRepairs.isEmpty else { return }
        let oldOperationRunning = pending.values.contains { $0.values.contains { $0.epoch < epoch } }
        guard !oldOperationRunning else { return }
        // Late messages of old operations must have drained too.
        transitionReadyAt = now + configuration.maximumDelayMilliseconds + 1
        schedule(after: configuration.maximumDelayMilliseconds + 1, .endTransition)
    }

    private mutating func endTransition() {
        previousRing = nil
        transitionReadyAt = nil
        if let node = leaving {
            instances[node] = nil
            pending[node] = nil
            scheduledTick[node] = nil
            leaving = nil
        }
        // Nodes that are no longer replicas of a key drop it.
        for node in instances.keys.sorted() {
            for key in instances[node]!.acceptorStates.keys.sorted() where !replicas(of: key, in: ring).contains(node) {
                instances[node]!.forget(key: key)
            }
        }
        if outcome.joins + outcome.leaves < configuration.joins + configuration.leaves {
            schedule(after: 400, .membershipChange)
        }
    }

    // MARK: - Queue

    private mutating func schedule(after delay: UInt64, _ event: Event) {
        schedule(at: now + delay, event)
    }

    private mutating func schedule(at time: UInt64, _ event: Event) {
        queue.push(event, at: MonotonicTime(milliseconds: time))
    }
}
