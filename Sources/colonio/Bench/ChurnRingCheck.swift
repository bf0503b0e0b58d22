/// The ring neighbours each live node should report: with IDs sorted (fixed-width lowercase hex sorts as
/// the numbers do), a node's successors are the next IDs clockwise, nearest first, and its predecessors
/// the previous ones. Used to tell when every survivor's `status` lists are exact again.
struct ChurnRingCheck {
    let sorted: [String]
    let successorCount: Int
    let predecessorCount: Int

    init(liveIDs: [String], successors: Int = 2, predecessors: Int = 2) {
        sorted = liveIDs.map { $0.lowercased() }.sorted()
        successorCount = successors
        predecessorCount = predecessors
    }

    /// The exact lists for `id`; a small ring has fewer distinct neighbours than asked for.
    func expected(for id: String) -> (successors: [String], predecessors: [String])? {
        guard let index = sorted.firstIndex(of: id.lowercased()) else { return nil }
        let others = sorted.count - 1
        let successors = (0..<min(successorCount, others)).map { sorted[(index + 1 + $0) % sorted.count] }
        let predecessors = (0..<min(predecessorCount, others)).map {
            sorted[(index - 1 - $0 + sorted.count) % sorted.count]
        }
        return (successors, predecessors)
    }

    /// Whether a `status` response of node `id` lists exactly its expected neighbours.
    func isExact(id: String, status: [String: Any]) -> Bool {
        guard let expected = expected(for: id),
              let successors = status["successors"] as? [String], let predecessors = status["predecessors"] as? [String]
        else { return false }
        return successors.map { $0.lowercased() } == expected.successors
            && predecessors.map { $0.lowercased() } == expected.predecessors
    }
}
