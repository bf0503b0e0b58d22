import ColonioCore
@testable import ColonioSimulator

/// Checks that the whole-node simulation suites share, so each suite states only its scenario.
extension NodeSimulation {
    /// Runs the simulation in steps of `step` virtual milliseconds until every live node's ring lists are
    /// exact, and returns how long that took; nil when they are still wrong after `limit`.
    func timeUntilNeighboursExact(limit: UInt64, step: UInt64 = 1_000) -> UInt64? {
        var waited: UInt64 = 0
        while waited < limit {
            run(for: step)
            waited += step
            if nodesWithWrongNeighbours().isEmpty { return waited }
        }
        return nil
    }

    /// Sends `count` requests (at most 256) between random live nodes, waits `wait` virtual milliseconds,
    /// and tells whether every one reached exactly its target node and came back answered.
    func requestsArriveExactly(count: Int, seed: UInt64, wait: UInt64 = 10_000) -> Bool {
        precondition(count <= 256, "a request's tag is one byte")
        var random = SplitMix64(seed: seed)
        let ids = liveNodeIDs
        deliveries.removeAll()
        var expected: [UInt8: NodeID] = [:]
        for index in 0..<count {
            let tag = UInt8(index)
            let source = ids[Int(random.next() % UInt64(ids.count))]
            let target = ids[Int(random.next() % UInt64(ids.count))]
            expected[tag] = target
            guard (try? request(from: source, payload: [tag], to: .node(target))) != nil else { return false }
        }
        run(for: wait)
        var receivers: [UInt8: NodeID] = [:]
        var answered = 0
        for delivery in deliveries {
            switch delivery {
            case .message(let receiver, let message): receivers[message.payload[0]] = receiver
            case .completed(_, _, .response): answered += 1
            case .completed: break
            }
        }
        return answered == count && receivers == expected
    }
}
