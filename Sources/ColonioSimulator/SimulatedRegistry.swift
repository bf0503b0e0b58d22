import ColonioCore

/// The simulated seed's registry: the live signed-in nodes in ID order, with what the seed and the
/// checks ask of it (nearest nodes as bootstrap peers, true ring neighbours, key owners).
struct SimulatedRegistry {
    private(set) var ids: [NodeID] = []

    var count: Int { ids.count }

    mutating func insert(_ id: NodeID) {
        ids.insert(id, at: insertionPoint(of: id))
    }

    mutating func remove(_ id: NodeID) {
        let position = insertionPoint(of: id)
        if position < ids.count, ids[position] == id { ids.remove(at: position) }
    }

    func insertionPoint(of id: NodeID) -> Int {
        var low = 0
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Up to `perSide` registered nodes on each side of `id`, nearest first.
    func nearest(to id: NodeID, perSide: Int) -> [NodeID] {
        let count = ids.count
        guard count > 0 else { return [] }
        let sides = Swift.min(perSide, (count + 1) / 2)
        let position = insertionPoint(of: id)
        var peers: [NodeID] = []
        for offset in 0..<sides {
            let after = ids[(position + offset) % count]
            let before = ids[(position - 1 - offset + count * 2) % count]
            if after != id && !peers.contains(after) { peers.append(after) }
            if before != id && !peers.contains(before) { peers.append(before) }
        }
        return peers
    }

    /// The true successors and predecessors of a registered node.
    func neighbours(of id: NodeID, successors: Int, predecessors: Int) -> (successors: [NodeID], predecessors: [NodeID]) {
        let count = ids.count
        let position = insertionPoint(of: id)
        guard count > 1, position < count, ids[position] == id else { return ([], []) }
        let successorCount = Swift.min(successors, count - 1)
        let predecessorCount = Swift.min(predecessors, count - 1)
        return (
            (0..<successorCount).map { ids[(position + 1 + $0) % count] },
            (0..<predecessorCount).map { ids[(position - 1 - $0 + count * 2) % count] }
        )
    }

    /// The node that owns `key`: the greatest ID at or before it, wrapping.
    func owner(of key: NodeID) -> NodeID? {
        guard !ids.isEmpty else { return nil }
        let position = insertionPoint(of: key)
        if position < ids.count, ids[position] == key { return key }
        return ids[(position + ids.count - 1) % ids.count]
    }
}
