/// Collects the fragments of bodies and hands out each body once all of its fragments arrived.
///
/// Memory is bounded three ways: the fragment count per body (from the network's message limit), the
/// number of bodies being collected at once and the bytes held in total. When a new body does not fit,
/// the oldest incomplete ones are dropped; incomplete bodies also expire after a timeout, so a lost
/// fragment never pins memory.
public struct Reassembler: Sendable {
    /// Identifies one fragmented body.
    public struct Key: Hashable, Sendable {
        /// The packet's source node.
        public var source: NodeID
        /// The packet ID its fragments share.
        public var packetID: UInt64

        /// Creates a key.
        public init(source: NodeID, packetID: UInt64) {
            self.source = source
            self.packetID = packetID
        }
    }

    /// What one fragment did.
    public enum Outcome: Equatable, Sendable {
        /// The body is complete: here it is.
        case complete([UInt8])
        /// More fragments are needed (or this one was a duplicate).
        case incomplete
        /// The fragment broke the limits or contradicted earlier fragments; it and its body were dropped.
        case rejected
    }

    private struct Entry: Sendable {
        var pieces: [[UInt8]?]
        var received: Int
        var bytes: Int
        var started: MonotonicTime
    }

    /// Every fragment but the last must be exactly this long.
    public let fragmentBytes: Int
    /// The most fragments one body may have.
    public let maximumFragments: Int
    /// The most bodies collected at once.
    public let maximumPending: Int
    /// The most bytes held across all bodies.
    public let maximumBufferedBytes: Int
    /// Incomplete bodies older than this are dropped.
    public let timeoutMilliseconds: UInt64

    private var entries: [Key: Entry] = [:]
    /// Keys in arrival order (with their start time, to skip keys that were removed and reused).
    private var order: [(key: Key, started: MonotonicTime)] = []
    private var orderHead = 0
    /// Bytes currently held.
    public private(set) var bufferedBytes = 0

    /// Creates a reassembler for bodies of at most `maximumBodyBytes`.
    public init(
        fragmentBytes: Int, maximumBodyBytes: Int, maximumPending: Int = 32, maximumBufferedBytes: Int,
        timeoutMilliseconds: UInt64
    ) {
        self.fragmentBytes = Swift.max(1, fragmentBytes)
        self.maximumFragments = Fragmenter.fragmentCount(byteCount: maximumBodyBytes, fragmentBytes: self.fragmentBytes)
        self.maximumPending = Swift.max(1, maximumPending)
        self.maximumBufferedBytes = maximumBufferedBytes
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// How many bodies are being collected.
    public var pendingCount: Int { entries.count }

    /// Adds one fragment of a packet whose `fragmentCount` is above 1.
    public mutating func add(_ packet: OverlayPacket, now: MonotonicTime) -> Outcome {
        let count = Int(packet.fragmentCount)
        let index = Int(packet.fragmentIndex)
        let isLast = index == count - 1
        guard count >= 2, count <= maximumFragments, index < count,
            packet.body.count <= fragmentBytes, isLast || packet.body.count == fragmentBytes,
            packet.body.count <= maximumBufferedBytes
        else { return .rejected }
        let key = Key(source: packet.source, packetID: packet.packetID)
        if var entry = entries[key] {
            guard entry.pieces.count == count else {
                remove(key)
                return .rejected
            }
            if entry.pieces[index] != nil { return .incomplete }
            while bufferedBytes + packet.body.count > maximumBufferedBytes, dropOldest(except: key) {}
            guard bufferedBytes + packet.body.count <= maximumBufferedBytes else { return .rejected }
            entry.pieces[index] = packet.body
            entry.received += 1
            entry.bytes += packet.body.count
            bufferedBytes += packet.body.count
            if entry.received == count {
                entries[key] = nil
                bufferedBytes -= entry.bytes
                var body: [UInt8] = []
                body.reserveCapacity(entry.bytes)
                for piece in entry.pieces { body.append(contentsOf: piece ?? []) }
                return .complete(body)
            }
            entries[key] = entry
            return .incomplete
        }
        while entries.count >= maximumPending || bufferedBytes + packet.body.count > maximumBufferedBytes,
            dropOldest(except: key)
        {}
        var pieces = [[UInt8]?](repeating: nil, count: count)
        pieces[index] = packet.body
        entries[key] = Entry(pieces: pieces, received: 1, bytes: packet.body.count, started: now)
        bufferedBytes += packet.body.count
        order.append((key, now))
        compactOrder()
        return .incomplete
    }

    /// Drops incomplete bodies older than the timeout; returns how many were dropped.
    @discardableResult
    public mutating func expire(now: MonotonicTime) -> Int {
        var dropped = 0
        while orderHead < order.count {
            let (key, started) = order[orderHead]
            guard now.milliseconds(since: started) >= timeoutMilliseconds else { break }
            orderHead += 1
            if let entry = entries[key], entry.started == started {
                remove(key)
                dropped += 1
            }
        }
        compactOrder()
        return dropped
    }

    private mutating func dropOldest(except keep: Key) -> Bool {
        var index = orderHead
        while index < order.count {
            let (key, started) = order[index]
            guard let entry = entries[key], entry.started == started else {
                // A stale slot (completed or dropped body): consume it if it is at the head.
                if index == orderHead { orderHead += 1 }
                index += 1
                continue
            }
            if key != keep {
                remove(key)
                if index == orderHead { orderHead += 1 }
                return true
            }
            index += 1
        }
        return false
    }

    private mutating func remove(_ key: Key) {
        if let entry = entries.removeValue(forKey: key) { bufferedBytes -= entry.bytes }
    }

    private mutating func compactOrder() {
        if orderHead > 64, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }
}
