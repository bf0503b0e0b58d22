import ColonioCore
import Synchronization

/// A ``NetworkRegistry`` in this process's memory: one sorted ring of IDs per network.
///
/// Synchronous (a ``SynchronousNetworkRegistry``): the seed's event loops call it directly, so one
/// lock guards the state. Each operation is a dictionary lookup or a binary search plus an array
/// insertion, short enough to hold a lock for on an event loop.
public final class InMemoryNetworkRegistry: SynchronousNetworkRegistry {
    private struct Network {
        /// Registered IDs in ascending order, for the nearest-on-ring query.
        var ring: [NodeID] = []
        var mailboxes: [NodeID: SeedMailbox] = [:]
    }

    private let networks = Mutex<[String: Network]>([:])

    /// Creates an empty registry.
    public init() {}

    public func register(
        network name: String, nodeID: NodeID?, maximumNodes: Int, predecessors: Int, successors: Int,
        mailbox: SeedMailbox
    ) throws(NetworkRegistryError) -> NodeRegistration {
        try networks.withLock { (networks: inout [String: Network]) throws(NetworkRegistryError) -> NodeRegistration in
            try Self.register(
                in: &networks[name, default: Network()], nodeID: nodeID, maximumNodes: maximumNodes,
                predecessors: predecessors, successors: successors, mailbox: mailbox)
        }
    }

    private static func register(
        in network: inout Network, nodeID: NodeID?, maximumNodes: Int, predecessors: Int, successors: Int,
        mailbox: SeedMailbox
    ) throws(NetworkRegistryError) -> NodeRegistration {
        if let nodeID, network.mailboxes[nodeID] != nil {
            // The node's earlier connection has not closed yet: the new one takes its place.
            network.mailboxes[nodeID] = mailbox
            let index = InMemoryNetworkRegistry.insertionIndex(of: nodeID, in: network.ring)
            return NodeRegistration(
                nodeID: nodeID,
                bootstrapPeers: InMemoryNetworkRegistry.nearest(
                    at: index, in: network.ring, predecessors: predecessors, successors: successors, excluding: nodeID))
        }
        guard network.ring.count < maximumNodes else { throw .networkFull(limit: maximumNodes) }
        let id = nodeID ?? freshID(in: network)
        let index = InMemoryNetworkRegistry.insertionIndex(of: id, in: network.ring)
        let peers = InMemoryNetworkRegistry.nearest(
            at: index, in: network.ring, predecessors: predecessors, successors: successors)
        network.ring.insert(id, at: index)
        network.mailboxes[id] = mailbox
        return NodeRegistration(nodeID: id, bootstrapPeers: peers)
    }

    /// A random ID no node of `network` has.
    private static func freshID(in network: Network) -> NodeID {
        var generator = SystemRandomNumberGenerator()
        var id = NodeID.random(using: &generator)
        while network.mailboxes[id] != nil { id = NodeID.random(using: &generator) }
        return id
    }

    public func unregister(network name: String, nodeID: NodeID, mailbox: SeedMailbox) {
        networks.withLock { networks in
            guard networks[name]?.mailboxes[nodeID] === mailbox else { return }
            // Modified in place: copying a network out and back would copy its ring on every removal.
            networks[name]?.mailboxes[nodeID] = nil
            let index = networks[name].flatMap { network in
                let index = InMemoryNetworkRegistry.insertionIndex(of: nodeID, in: network.ring)
                return index < network.ring.count && network.ring[index] == nodeID ? index : nil
            }
            if let index { networks[name]?.ring.remove(at: index) }
            if networks[name]?.ring.isEmpty == true { networks[name] = nil }
        }
    }

    public func mailbox(network name: String, nodeID: NodeID) -> SeedMailbox? {
        networks.withLock { $0[name]?.mailboxes[nodeID] }
    }

    public func nearest(network name: String, to nodeID: NodeID, predecessors: Int, successors: Int) -> [NodeID] {
        networks.withLock { networks in
            guard let ring = networks[name]?.ring else { return [] }
            return InMemoryNetworkRegistry.nearest(
                at: InMemoryNetworkRegistry.insertionIndex(of: nodeID, in: ring), in: ring,
                predecessors: predecessors, successors: successors, excluding: nodeID)
        }
    }

    public func nodeCount(network name: String) -> Int {
        networks.withLock { $0[name]?.ring.count ?? 0 }
    }

    /// The IDs of every node in `network`, ascending (for tests and diagnostics).
    public func nodes(network name: String) -> [NodeID] {
        networks.withLock { $0[name]?.ring ?? [] }
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
    /// nearest first, each at most once; `excluding` (the asking node itself, at `index`) is skipped.
    static func nearest(
        at index: Int, in ring: [NodeID], predecessors: Int, successors: Int, excluding: NodeID? = nil
    ) -> [NodeID] {
        let count = ring.count
        // Successors start after the excluded node when it sits at `index`; predecessors end before it.
        let after = excluding != nil && index < count && ring[index] == excluding ? index + 1 : index
        guard count > 0 else { return [] }
        var result: [NodeID] = []
        var seen = Set<NodeID>()
        for step in 0..<max(predecessors, successors) {
            if step < successors {
                let id = ring[(after + step) % count]
                if id != excluding, seen.insert(id).inserted { result.append(id) }
            }
            if step < predecessors {
                let id = ring[((index - 1 - step) % count + count) % count]
                if id != excluding, seen.insert(id).inserted { result.append(id) }
            }
        }
        return result
    }
}
