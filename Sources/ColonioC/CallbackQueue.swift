import Dispatch
import Synchronization

/// The Dispatch queue C callbacks of one handler or subscription run on: library-owned threads, never
/// Swift's cooperative pool, so a callback may block in another `colonio_*` call without starving the
/// tasks that call needs. Closing it is what lets C free a callback's context safely.
final class CallbackQueue: Sendable {
    private let queue: DispatchQueue
    private let closed = Atomic<Bool>(false)
    private let id = NodeRegistry.nextNumber()
    /// Tells a queue's own callbacks apart from other threads, so that closing from inside one of them
    /// does not wait for itself.
    private static let marker = DispatchSpecificKey<UInt64>()

    init(label: String, concurrent: Bool) {
        queue = DispatchQueue(label: label, attributes: concurrent ? [.concurrent] : [])
        queue.setSpecific(key: Self.marker, value: id)
    }

    /// Runs `work` on the queue, or `ifClosed` instead when the queue closed before `work`'s turn came.
    func run(_ work: @escaping @Sendable () -> Void, ifClosed: @escaping @Sendable () -> Void = {}) {
        queue.async {
            if self.closed.load(ordering: .acquiring) { ifClosed() } else { work() }
        }
    }

    /// Stops callbacks: once this returns none is running or will run, except the one calling it.
    func close() {
        closed.store(true, ordering: .releasing)
        if DispatchQueue.getSpecific(key: Self.marker) != id {
            queue.sync(flags: .barrier) {}
        }
    }
}
