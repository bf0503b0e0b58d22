@testable import ColonioCore

/// A tiny lossless network for exact unit tests: messages are delivered in FIFO order, optionally
/// filtered, with no time passing unless a test ticks.
struct KVSTestNetwork {
    var instances: [NodeID: KVSInstance] = [:]
    var queue: [(message: KVSMessage, from: NodeID, to: NodeID)] = []
    var completions: [KVSOperationID: Result<KVSValue?, KVSError>] = [:]
    var delivered = 0
    var now = MonotonicTime.zero
    var random = SplitMix64(seed: 1)
    /// Messages for which this returns false are dropped.
    var allows: (_ from: NodeID, _ to: NodeID) -> Bool = { _, _ in true }
    /// Messages for which this returns false are dropped too.
    var allowsMessage: (KVSMessage) -> Bool = { _ in true }

    init(nodes: [NodeID]) {
        for node in nodes { instances[node] = KVSInstance(nodeID: node) }
    }

    static func node(_ value: UInt128) -> NodeID { NodeID(value) }

    mutating func start(
        _ command: KVSCommand, key: KVSKey, at node: NodeID, replicas: KVSReplicaSet
    ) -> KVSOperationID {
        let (id, directives) = instances[node]!.start(command, key: key, replicas: replicas, now: now, using: &random)
        apply(directives, at: node)
        return id
    }

    mutating func tick(advancingBy milliseconds: UInt64) {
        now = now.adding(milliseconds: milliseconds)
        for node in instances.keys.sorted() {
            let directives = instances[node]!.tick(now: now, using: &random)
            apply(directives, at: node)
        }
    }

    /// Delivers queued messages until none are left.
    mutating func run() {
        while !queue.isEmpty {
            let (message, from, to) = queue.removeFirst()
            guard allows(from, to), allowsMessage(message), instances[to] != nil else { continue }
            delivered += 1
            let directives = instances[to]!.receive(message, from: from, now: now, using: &random)
            apply(directives, at: to)
        }
    }

    private mutating func apply(_ directives: [KVSDirective], at node: NodeID) {
        for directive in directives {
            switch directive {
            case .send(let message, let to): queue.append((message, node, to))
            case .complete(let id, let result): completions[id] = result
            }
        }
    }
}
