import ColonioCore

/// Where keys live on the ring just before `colonio bench churn` kills its victims, with the KVS's own
/// placement (``KVSPlacement``: the owner of a key's position and its successors). A key two of whose
/// three replicas die at once has lost its majority: it is never served again (docs/kvs.md), so the
/// workload keeps to keys that keep one, and the share of the key space that did not is reported.
struct ChurnKeyPlacement {
    private let sorted: [NodeID]
    private let victims: Set<NodeID>
    private let replicationFactor: Int

    /// `ids` and `victims` as lowercase hex node IDs.
    init(ids: [String], victims: Set<String>, replicationFactor: Int = Int(KVSSettings().replicationFactor)) {
        sorted = ids.compactMap { NodeID(hex: $0) }.sorted()
        self.victims = Set(victims.compactMap { NodeID(hex: $0) })
        self.replicationFactor = replicationFactor
    }

    /// Whether the replicas of `position` (on the ring before the kill) keep a majority alive.
    func keepsMajority(_ position: NodeID) -> Bool {
        let replicas = KVSPlacement.replicas(ofPosition: position, sortedNodes: sorted, replicationFactor: replicationFactor)
        let dead = replicas.filter { victims.contains($0) }.count
        return dead < replicas.count / 2 + 1
    }

    /// The first `count` keys `prefix0`, `prefix1`, ... that keep a majority, and how many were passed over.
    func keys(prefix: String, count: Int) -> (keys: [String], skipped: Int) {
        var keys: [String] = []
        var skipped = 0
        var number = 0
        // Bounded: with fewer than half the nodes killed, most of the key space keeps a majority.
        while keys.count < count, number < 100_000 {
            let key = "\(prefix)\(number)"
            number += 1
            if keepsMajority(KVSPlacement.position(ofKey: KVSKey(key))) { keys.append(key) } else { skipped += 1 }
        }
        return (keys, skipped)
    }

    /// The share of the key space whose replicas lost their majority: the arcs owned by each node, from
    /// its ID up to the next, whose owner and successors are mostly victims.
    var majorityLostShare: Double {
        guard sorted.count > 1 else { return 0 }
        var lost = 0.0
        for (index, owner) in sorted.enumerated() {
            guard !keepsMajority(owner) else { continue }
            let next = sorted[(index + 1) % sorted.count]
            lost += Double(owner.distance(to: next))
        }
        return lost / 0x1p128
    }
}
