/// A set whose members expire; expiry times must be inserted in non-decreasing order (now + a constant).
struct ExpiringSet<Element: Hashable & Sendable>: Sendable {
    private var expiries: [Element: MonotonicTime] = [:]
    private var order: [(element: Element, expiry: MonotonicTime)] = []
    private var head = 0

    /// Inserts `element`; returns `false` when it is already present.
    mutating func insert(_ element: Element, expiry: MonotonicTime) -> Bool {
        guard expiries[element] == nil else { return false }
        expiries[element] = expiry
        order.append((element, expiry))
        return true
    }

    func contains(_ element: Element) -> Bool { expiries[element] != nil }

    /// Removes `element` before its expiry.
    mutating func remove(_ element: Element) { expiries[element] = nil }

    var count: Int { expiries.count }

    /// Drops members whose expiry is at or before `now`.
    mutating func removeExpired(now: MonotonicTime) {
        while head < order.count, order[head].expiry <= now {
            // Only the entry that is current: one removed and inserted again has a later expiry.
            if expiries[order[head].element] == order[head].expiry { expiries[order[head].element] = nil }
            head += 1
        }
        if head > 1024 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
