/// Decides whether a history is linearizable with respect to a model, Wing & Gong's search with Lowe's
/// memoisation (the algorithm of Porcupine): per partition (P-compositionality: a history is linearizable
/// iff each key's sub-history is), depth-first over the operations that may take effect next, with a
/// cache of (linearized set, model state) pairs so no configuration is explored twice.
enum LinearizabilityChecker {
    /// The verdict for a whole history.
    struct Verdict: Equatable {
        /// Whether every partition is linearizable.
        var isLinearizable: Bool { failedPartitions.isEmpty }
        /// Partitions (keys) whose sub-history is not linearizable, sorted.
        var failedPartitions: [String]
        /// How many partitions were checked.
        var partitionCount: Int
    }

    static func check<Model: LinearizabilityModel>(
        _ model: Model.Type, _ history: [HistoryOperation<Model.Input, Model.Output>]
    ) -> Verdict {
        var byPartition: [String: [HistoryOperation<Model.Input, Model.Output>]] = [:]
        for operation in history { byPartition[operation.partition, default: []].append(operation) }
        var failed: [String] = []
        for partition in byPartition.keys.sorted() where !checkPartition(model, byPartition[partition]!) {
            failed.append(partition)
        }
        return Verdict(failedPartitions: failed, partitionCount: byPartition.count)
    }

    private struct Entry {
        var operation: Int
        var isCall: Bool
        var time: UInt64
        var match = -1
        var previous = -1
        var next = -1
    }

    private struct CacheKey<State: Hashable>: Hashable {
        var linearized: [UInt64]
        var state: State
    }

    /// Checks one partition's operations.
    static func checkPartition<Model: LinearizabilityModel>(
        _ model: Model.Type, _ operations: [HistoryOperation<Model.Input, Model.Output>]
    ) -> Bool {
        if operations.isEmpty { return true }
        // Entries sorted by time; never-returned operations return after everything else.
        var order: [(time: UInt64, isCall: Bool, operation: Int)] = []
        for (index, operation) in operations.enumerated() {
            order.append((operation.called, true, index))
            order.append((operation.returned ?? UInt64.max, false, index))
        }
        order.sort { lhs, rhs in
            if lhs.time != rhs.time { return lhs.time < rhs.time }
            if lhs.isCall != rhs.isCall { return lhs.isCall }
            return lhs.operation < rhs.operation
        }
        // Node 0 is the list head; entries follow at 1...
        var entries = [Entry(operation: -1, isCall: false, time: 0)]
        var callEntry = [Int](repeating: -1, count: operations.count)
        for (offset, item) in order.enumerated() {
            let index = offset + 1
            var entry = Entry(operation: item.operation, isCall: item.isCall, time: item.time)
            entry.previous = index - 1
            entry.next = offset + 1 < order.count ? index + 1 : -1
            entries.append(entry)
            if item.isCall {
                callEntry[item.operation] = index
            } else {
                entries[index].match = callEntry[item.operation]
                entries[callEntry[item.operation]].match = index
            }
        }
        entries[0].next = 1

        func lift(_ call: Int) {
            let ret = entries[call].match
            entries[entries[call].previous].next = entries[call].next
            if entries[call].next >= 0 { entries[entries[call].next].previous = entries[call].previous }
            entries[entries[ret].previous].next = entries[ret].next
            if entries[ret].next >= 0 { entries[entries[ret].next].previous = entries[ret].previous }
        }
        func unlift(_ call: Int) {
            let ret = entries[call].match
            entries[entries[ret].previous].next = ret
            if entries[ret].next >= 0 { entries[entries[ret].next].previous = ret }
            entries[entries[call].previous].next = call
            if entries[call].next >= 0 { entries[entries[call].next].previous = call }
        }

        let words = (operations.count + 63) / 64
        var linearized = [UInt64](repeating: 0, count: words)
        var cache = Set<CacheKey<Model.State>>()
        var stack: [(call: Int, state: Model.State)] = []
        var state = Model.initialState
        var current = entries[0].next
        while entries[0].next >= 0 {
            let entry = entries[current]
            if entry.isCall {
                let operation = operations[entry.operation]
                if let next = Model.step(state, operation.input, operation.output) {
                    var candidate = linearized
                    candidate[entry.operation / 64] |= 1 << UInt64(entry.operation % 64)
                    if cache.insert(CacheKey(linearized: candidate, state: next)).inserted {
                        stack.append((current, state))
                        state = next
                        linearized = candidate
                        lift(current)
                        current = entries[0].next
                        continue
                    }
                }
                current = entry.next
            } else {
                // A return whose call is not linearized yet: undo the last choice.
                guard let (call, previousState) = stack.popLast() else { return false }
                state = previousState
                let operation = entries[call].operation
                linearized[operation / 64] &= ~(1 << UInt64(operation % 64))
                unlift(call)
                current = entries[call].next
            }
        }
        return true
    }
}
