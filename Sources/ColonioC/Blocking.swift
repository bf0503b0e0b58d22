import Dispatch
import Synchronization

/// Runs async work for a blocking C call: the work runs as a detached task on Swift's pool while the C
/// caller's own thread (never a pool thread: callbacks run on Dispatch queues) waits on a semaphore.
func blocking<Value: Sendable>(
    _ operation: @escaping @Sendable () async throws(ABIFailure) -> Value
) throws(ABIFailure) -> Value {
    let rendezvous = Rendezvous<Value>()
    Task.detached {
        do throws(ABIFailure) {
            rendezvous.finish(.success(try await operation()))
        } catch {
            rendezvous.finish(.failure(error))
        }
    }
    return try rendezvous.wait().get()
}

/// One result handed from a task to a waiting thread.
private final class Rendezvous<Value: Sendable>: Sendable {
    private let result = Mutex<Result<Value, ABIFailure>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ outcome: Result<Value, ABIFailure>) {
        result.withLock { $0 = outcome }
        done.signal()
    }

    func wait() -> Result<Value, ABIFailure> {
        done.wait()
        return result.withLock { $0 } ?? .failure(.internalError("a blocking call ended without a result"))
    }
}
