import ColonioCore

/// A min-heap of timed events; ties keep insertion order, so runs are reproducible.
///
/// The one event queue of every simulation in the package: the ring ``Simulation``, the KVS benchmark and
/// the KVS consensus tests schedule on it.
///
/// The heap holds small plain entries (time, sequence, slot); the events stay in a slot array, so that a
/// push or pop moves 24-byte entries up and down the heap instead of whole events with their payloads
/// (which, copied at every level, cost a retain and a release each and dominated large simulations).
public struct EventQueue<Event> {
    private struct Entry {
        var time: MonotonicTime
        var sequence: UInt64
        var slot: Int
    }

    private var heap: [Entry] = []
    private var slots: [Event?] = []
    private var freeSlots: [Int] = []
    private var nextSequence: UInt64 = 0

    /// Creates an empty queue.
    public init() {}

    /// Events waiting.
    public var count: Int { heap.count }
    /// Whether no event waits.
    public var isEmpty: Bool { heap.isEmpty }
    /// The time of the earliest event.
    public var nextTime: MonotonicTime? { heap.first?.time }

    /// Schedules `event` at `time`, after every event already scheduled for that time.
    public mutating func push(_ event: Event, at time: MonotonicTime) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = event
        } else {
            slot = slots.count
            slots.append(event)
        }
        heap.append(Entry(time: time, sequence: nextSequence, slot: slot))
        nextSequence += 1
        var child = heap.count - 1
        let entry = heap[child]
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(entry, heap[parent]) else { break }
            heap[child] = heap[parent]
            child = parent
        }
        heap[child] = entry
    }

    /// Removes and returns the earliest event.
    public mutating func pop() -> (time: MonotonicTime, event: Event)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            // Sift the last entry down from the root.
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                let right = left + 1
                let smaller = right < heap.count && precedes(heap[right], heap[left]) ? right : left
                guard precedes(heap[smaller], last) else { break }
                heap[parent] = heap[smaller]
                parent = smaller
            }
            heap[parent] = last
        }
        let event = slots[top.slot].take()!
        freeSlots.append(top.slot)
        return (top.time, event)
    }

    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.time < b.time || (a.time == b.time && a.sequence < b.sequence)
    }
}
