extension NodeID {
    /// The `count` IDs of `candidates` with the smallest `distance`, nearest first; equal distances go to
    /// the smaller ID, so the answer never depends on the candidates' order (a `Set`'s varies by process).
    ///
    /// A bounded insertion sort: O(candidates × count), and `count` is a handful (spare ring neighbours,
    /// liveness witnesses), so it beats sorting every candidate.
    static func nearest<Candidates: Sequence<NodeID>>(_ count: Int, of candidates: Candidates,
                                                       by distance: (NodeID) -> UInt128) -> [NodeID] {
        guard count > 0 else { return [] }
        var best: [(id: NodeID, distance: UInt128)] = []
        best.reserveCapacity(count + 1)
        for id in candidates {
            let value = distance(id)
            if best.count == count, let last = best.last,
               value > last.distance || (value == last.distance && id > last.id) { continue }
            var index = best.count
            while index > 0, best[index - 1].distance > value || (best[index - 1].distance == value && best[index - 1].id > id) {
                index -= 1
            }
            best.insert((id, value), at: index)
            if best.count > count { best.removeLast() }
        }
        return best.map { $0.id }
    }
}
