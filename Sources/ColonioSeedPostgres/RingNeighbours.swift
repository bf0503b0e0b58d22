import ColonioCore

/// The nearest nodes on the ring, from the four slices the registry's query returns: IDs after the
/// node ascending, the ring's first IDs (the wrap-around), IDs before it descending, and the ring's
/// last IDs. Ordered as ``NodeRegistration/bootstrapPeers``: nearest first, alternating successor and
/// predecessor, each once, without the node itself (as `InMemoryNetworkRegistry` does).
struct RingNeighbours {
    var after: [NodeID] = []
    var first: [NodeID] = []
    var before: [NodeID] = []
    var last: [NodeID] = []

    func nearest(to nodeID: NodeID, predecessors: Int, successors: Int) -> [NodeID] {
        let clockwise = Self.unique(after + first, excluding: nodeID)
        let counterClockwise = Self.unique(before + last, excluding: nodeID)
        var result: [NodeID] = []
        var seen = Set<NodeID>()
        for step in 0..<max(predecessors, successors) {
            if step < successors, step < clockwise.count, seen.insert(clockwise[step]).inserted {
                result.append(clockwise[step])
            }
            if step < predecessors, step < counterClockwise.count, seen.insert(counterClockwise[step]).inserted {
                result.append(counterClockwise[step])
            }
        }
        return result
    }

    private static func unique(_ ids: [NodeID], excluding nodeID: NodeID) -> [NodeID] {
        var seen = Set<NodeID>()
        return ids.filter { $0 != nodeID && seen.insert($0).inserted }
    }
}
