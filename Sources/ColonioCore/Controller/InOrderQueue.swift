/// Items waiting for a step the shell does asynchronously (signing, verifying), which leave in the order
/// they came in, whatever the order the steps finish in: an offer is relayed before the candidates of its
/// session, and acted on before them. Bounded in count, and in time: a step the shell never reports
/// would otherwise hold up every later item.
struct InOrderQueue<Item: Sendable, Outcome: Sendable>: Sendable {
    private struct Entry: Sendable {
        let id: UInt64
        let item: Item
        let addedAt: MonotonicTime
        var outcome: Outcome?
    }

    private var entries: [Entry] = []
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { entries.count }

    /// Queues `item` under `id` (unique: the caller's counter outlives the queue, so a late outcome for
    /// an item of an earlier queue never finishes another); `false` when the queue is full.
    mutating func add(_ item: Item, id: UInt64, now: MonotonicTime) -> Bool {
        guard entries.count < capacity else { return false }
        entries.append(Entry(id: id, item: item, addedAt: now))
        return true
    }

    /// Records the outcome of item `id` (an unknown or finished ID is ignored) and hands over the items at
    /// the front whose steps have all finished, oldest first.
    mutating func finish(_ id: UInt64, with outcome: Outcome) -> [(item: Item, outcome: Outcome)] {
        guard let index = entries.firstIndex(where: { $0.id == id && $0.outcome == nil }) else { return [] }
        entries[index].outcome = outcome
        return takeFinished()
    }

    /// Gives up the unfinished items added before `deadline` (their outcome will never matter) and hands
    /// over the finished ones that were waiting behind them; `dropped` counts the items given up.
    mutating func giveUp(addedBefore deadline: MonotonicTime) -> (dropped: Int, ready: [(item: Item, outcome: Outcome)]) {
        let before = entries.count
        entries.removeAll { $0.outcome == nil && $0.addedAt < deadline }
        let dropped = before - entries.count
        return (dropped, dropped > 0 ? takeFinished() : [])
    }

    private mutating func takeFinished() -> [(item: Item, outcome: Outcome)] {
        var ready: [(item: Item, outcome: Outcome)] = []
        while let first = entries.first, let done = first.outcome {
            ready.append((first.item, done))
            entries.removeFirst()
        }
        return ready
    }
}
