/// Remembers recently delivered packets so a packet that arrives twice is delivered once.
///
/// Bounded by both a capacity and an age: the oldest entries are forgotten first.
public struct DuplicateFilter: Sendable {
    /// Identifies a packet: its source and the source's packet ID.
    public struct Key: Hashable, Sendable {
        /// The packet's source node.
        public var source: NodeID
        /// The source's packet ID.
        public var packetID: UInt64

        /// Creates a key.
        public init(source: NodeID, packetID: UInt64) {
            self.source = source
            self.packetID = packetID
        }
    }

    /// The most packets remembered.
    public let capacity: Int
    /// Packets seen longer ago than this are forgotten.
    public let retentionMilliseconds: UInt64

    private var seen: Set<Key> = []
    private var order: [(key: Key, at: MonotonicTime)] = []
    private var head = 0

    /// Creates a filter.
    public init(capacity: Int = 8192, retentionMilliseconds: UInt64 = 60_000) {
        self.capacity = Swift.max(1, capacity)
        self.retentionMilliseconds = retentionMilliseconds
    }

    /// How many packets are remembered.
    public var count: Int { seen.count }

    /// Records the packet; returns `false` if it was already seen (a duplicate to drop).
    public mutating func insert(_ key: Key, now: MonotonicTime) -> Bool {
        forget(olderThan: now)
        guard !seen.contains(key) else { return false }
        while seen.count >= capacity, head < order.count {
            seen.remove(order[head].key)
            head += 1
        }
        seen.insert(key)
        order.append((key, now))
        if head > 64, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        return true
    }

    /// Forgets packets older than the retention time.
    public mutating func forget(olderThan now: MonotonicTime) {
        while head < order.count, now.milliseconds(since: order[head].at) >= retentionMilliseconds {
            seen.remove(order[head].key)
            head += 1
        }
    }
}
