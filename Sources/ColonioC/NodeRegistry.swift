import Synchronization

/// The nodes C holds, by handle. Handles are numbers, never pointers, and never reused, so a freed or
/// made-up handle is found missing instead of dereferenced.
enum NodeRegistry {
    private static let state = Mutex<(next: UInt64, entries: [UInt64: NodeEntry])>((1, [:]))
    /// Subscription and reply numbers, unique across nodes.
    private static let counter = Atomic<UInt64>(1)

    static func nextNumber() -> UInt64 {
        counter.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    static func add(_ make: (UInt64) -> NodeEntry) -> UInt64 {
        state.withLock { state in
            let handle = state.next
            state.next += 1
            state.entries[handle] = make(handle)
            return handle
        }
    }

    static func entry(_ handle: UInt64) throws(ABIFailure) -> NodeEntry {
        guard let entry = state.withLock({ $0.entries[handle] }) else {
            throw .invalidHandle("no node has handle \(handle) (never made, or freed)")
        }
        return entry
    }

    static func remove(_ handle: UInt64) throws(ABIFailure) -> NodeEntry {
        guard let entry = state.withLock({ $0.entries.removeValue(forKey: handle) }) else {
            throw .invalidHandle("no node has handle \(handle) (never made, or freed)")
        }
        return entry
    }
}
