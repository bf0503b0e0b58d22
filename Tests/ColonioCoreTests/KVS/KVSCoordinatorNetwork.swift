@testable import ColonioCore

/// Coordinators of a whole ring wired together in memory: the ring is known exactly, owner requests go
/// to the true owner, messages are delivered in order unless a node is down or cut off. Time is virtual.
struct KVSCoordinatorNetwork {
    private enum Envelope {
        case ownerRequest([UInt8], from: NodeID, requestID: UInt64, position: NodeID)
        case response([UInt8], to: NodeID, requestID: UInt64)
        case message([UInt8], from: NodeID, to: NodeID)
    }

    var coordinators: [NodeID: KVSCoordinator] = [:]
    /// Nodes that crashed: they neither receive nor send.
    var down: Set<NodeID> = []
    /// Nodes cut off: messages to and from them are lost.
    var cutOff: Set<NodeID> = []
    var now = MonotonicTime.zero
    /// Results of finished client operations, by the node that started them.
    var results: [NodeID: [KVSClientOperationID: Result<KVSValue?, KVSError>]] = [:]
    /// Messages delivered (one per overlay hop-free delivery).
    var delivered = 0
    let settings: KVSSettings
    let jointMilliseconds: UInt64
    private var queue: [Envelope] = []
    private var nextRequestID: UInt64 = 1
    private var requests: [UInt64: (node: NodeID, operation: KVSClientOperationID)] = [:]

    init(nodes: [NodeID], settings: KVSSettings = KVSSettings(), jointMilliseconds: UInt64 = 60_000) {
        self.settings = settings
        self.jointMilliseconds = jointMilliseconds
        for node in nodes { add(node) }
        updateNeighbours()
    }

    var alive: [NodeID] { coordinators.keys.filter { !down.contains($0) }.sorted() }

    /// Starts a node; call ``updateNeighbours()`` to let the ring know.
    mutating func add(_ node: NodeID) {
        coordinators[node] = KVSCoordinator(
            nodeID: node, settings: settings, jointMilliseconds: jointMilliseconds, randomSeed: UInt64(node.low),
            now: now)
    }

    /// Tells every live node its current successors and predecessors.
    mutating func updateNeighbours() {
        let ring = alive
        for (index, node) in ring.enumerated() {
            var successors: [NodeID] = []
            var predecessors: [NodeID] = []
            for step in 1...2 where step < ring.count {
                successors.append(ring[(index + step) % ring.count])
                predecessors.append(ring[(index - step + ring.count * 2) % ring.count])
            }
            let out = coordinators[node]!.neighboursChanged(successors: successors, predecessors: predecessors, now: now)
            handle(out, at: node)
        }
    }

    mutating func start(_ command: KVSCommand, key: KVSKey, at node: NodeID) -> KVSClientOperationID {
        let (operation, out) = coordinators[node]!.start(command, key: key, now: now)
        handle(out, at: node)
        return operation
    }

    func result(_ operation: KVSClientOperationID, at node: NodeID) -> Result<KVSValue?, KVSError>? {
        results[node]?[operation]
    }

    /// Delivers until nothing is in flight, ticking every 10 ms of virtual time, for at most `milliseconds`.
    mutating func run(milliseconds: UInt64 = 30_000) {
        let end = now.adding(milliseconds: milliseconds)
        while now < end {
            while !queue.isEmpty {
                let envelope = queue.removeFirst()
                deliver(envelope)
            }
            now = now.adding(milliseconds: 10)
            for node in alive {
                let out = coordinators[node]!.tick(now: now)
                handle(out, at: node)
            }
            let busy = alive.contains {
                coordinators[$0]!.instance.pendingOperationCount > 0 || coordinators[$0]!.pendingRepairs > 0
                    || coordinators[$0]!.pendingClientOperations > 0
            }
            if queue.isEmpty && !busy { return }
        }
    }

    /// Advances virtual time by `milliseconds`, ticking every 100 ms.
    mutating func wait(milliseconds: UInt64) {
        let end = now.adding(milliseconds: milliseconds)
        while now < end {
            now = now.adding(milliseconds: 100)
            for node in alive { handle(coordinators[node]!.tick(now: now), at: node) }
            while !queue.isEmpty { deliver(queue.removeFirst()) }
        }
    }

    private func lost(_ from: NodeID, _ to: NodeID) -> Bool {
        down.contains(to) || down.contains(from) || cutOff.contains(from) || cutOff.contains(to)
    }

    private mutating func deliver(_ envelope: Envelope) {
        switch envelope {
        case .ownerRequest(let bytes, let from, let requestID, let position):
            let ring = alive
            let owner = KVSPlacement.replicas(ofPosition: position, sortedNodes: ring, replicationFactor: 1)[0]
            guard !lost(from, owner) else { return }
            delivered += 1
            let token = ReplyToken(requester: from, requestID: requestID, channel: .kvs)
            let out = coordinators[owner]!.received(bytes, from: from, reply: token, now: now)
            handle(out, at: owner)
        case .response(let bytes, let to, let requestID):
            guard !down.contains(to), let request = requests.removeValue(forKey: requestID) else { return }
            delivered += 1
            let out = coordinators[to]!.ownerResponded(request.operation, outcome: .response(bytes), now: now)
            handle(out, at: to)
        case .message(let bytes, let from, let to):
            guard !lost(from, to) else { return }
            delivered += 1
            let out = coordinators[to]!.received(bytes, from: from, reply: nil, now: now)
            handle(out, at: to)
        }
    }

    /// Delivers a request again, as a node machine's retry would.
    mutating func duplicateNextOwnerRequest() {
        guard let index = queue.firstIndex(where: { if case .ownerRequest = $0 { true } else { false } }) else { return }
        queue.insert(queue[index], at: index + 1)
    }

    private mutating func handle(_ directives: [KVSNodeDirective], at node: NodeID) {
        for directive in directives {
            switch directive {
            case .requestOwner(let bytes, let position, let operation):
                let requestID = nextRequestID
                nextRequestID += 1
                requests[requestID] = (node, operation)
                queue.append(.ownerRequest(bytes, from: node, requestID: requestID, position: position))
            case .send(let bytes, let to):
                queue.append(.message(bytes, from: node, to: to))
            case .respond(let token, let bytes):
                if token.requester == node || !lost(node, token.requester) {
                    queue.append(.response(bytes, to: token.requester, requestID: token.requestID))
                }
            case .complete(let operation, let result):
                results[node, default: [:]][operation] = result
            }
        }
    }
}
