import ColonioCore

/// A min-heap of timed events; ties keep insertion order, so runs are reproducible.
///
/// The one event queue of every simulation in the package: the ring ``Simulation``, the KVS benchmark and
/// the KVS consensus tests schedule on it.
public struct EventQueue<Event> {
    private struct Entry {
        var time: MonotonicTime
        var sequence: UInt64
        var event: Event
    }

    private var heap: [Entry] = []
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
        heap.append(Entry(time: time, sequence: nextSequence, event: event))
        nextSequence += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest event.
    public mutating func pop() -> (time: MonotonicTime, event: Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, precedes(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count, precedes(heap[right], heap[smallest]) { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.event)
    }

    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        a.time < b.time || (a.time == b.time && a.sequence < b.sequence)
    }
}
