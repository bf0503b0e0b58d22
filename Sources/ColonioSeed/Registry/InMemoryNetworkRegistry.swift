import ColonioCore

/// A ``NetworkRegistry`` in this process's memory: one sorted ring of IDs per network.
public actor InMemoryNetworkRegistry: NetworkRegistry {
    private struct Network {
        /// Registered IDs in ascending order, for the nearest-on-ring query.
        var ring: [NodeID] = []
        var mailboxes: [NodeID: SeedMailbox] = [:]
    }

    private var networks: [String: Network] = [:]
    private var generator = SystemRandomNumberGenerator()

    /// Creates an empty registry.
    public init() {}

    public func register(
        network name: String, maximumNodes: Int, predecessors: Int, successors: Int, mailbox: SeedMailbox
    ) throws(NetworkRegistryError) -> NodeRegistration {
        var network = networks[name, default: Network()]
        guard network.ring.count < maximumNodes else { throw .networkFull(limit: maximumNodes) }
        var id = NodeID.random(using: &generator)
        while network.mailboxes[id] != nil { id = NodeID.random(using: &generator) }
        let index = InMemoryNetworkRegistry.insertionIndex(of: id, in: network.ring)
        let peers = InMemoryNetworkRegistry.nearest(
            at: index, in: network.ring, predecessors: predecessors, successors: successors)
        network.ring.insert(id, at: index)
        network.mailboxes[id] = mailbox
        networks[name] = network
        return NodeRegistration(nodeID: id, bootstrapPeers: peers)
    }

    public func unregister(network name: String, nodeID: NodeID) {
        guard var network = networks[name], network.mailboxes.removeValue(forKey: nodeID) != nil else { return }
        let index = InMemoryNetworkRegistry.insertionIndex(of: nodeID, in: network.ring)
        if index < network.ring.count, network.ring[index] == nodeID { network.ring.remove(at: index) }
        networks[name] = network.ring.isEmpty ? nil : network
    }

    public func mailbox(network name: String, nodeID: NodeID) -> SeedMailbox? {
        networks[name]?.mailboxes[nodeID]
    }

    public func nodeCount(network name: String) -> Int {
        networks[name]?.ring.count ?? 0
    }

    /// The IDs of every node in `network`, ascending (for tests and diagnostics).
    public func nodes(network name: String) -> [NodeID] {
        networks[name]?.ring ?? []
    }

    /// First index whose ID is not less than `id`.
    static func insertionIndex(of id: NodeID, in ring: [NodeID]) -> Int {
        var low = 0
        var high = ring.count
        while low < high {
            let middle = (low + high) / 2
            if ring[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Up to `successors` IDs clockwise from `index` and `predecessors` counter-clockwise, interleaved
    /// nearest first, each at most once.
    static func nearest(at index: Int, in ring: [NodeID], predecessors: Int, successors: Int) -> [NodeID] {
        let count = ring.count
        guard count > 0 else { return [] }
        var result: [NodeID] = []
        var seen = Set<NodeID>()
        for step in 0..<max(predecessors, successors) {
            if step < successors {
                let id = ring[(index + step) % count]
                if seen.insert(id).inserted { result.append(id) }
            }
            if step < predecessors {
                let id = ring[((index - 1 - step) % count + count) % count]
                if seen.insert(id).inserted { result.append(id) }
            }
        }
        return result
    }
}
