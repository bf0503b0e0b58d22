import ColonioTime
import Synchronization

/// A clock that moves only when told to (``advance(by:)``), for tests of timer rules: a node or seed
/// given ``colonioClock`` sees its timeouts and retries fire exactly when the test says, without sleeping.
public final class ManualClock: Clock, Sendable {
    /// A point on a manual clock: the time advanced since the clock was made.
    public struct Instant: InstantProtocol, Sendable {
        /// How far the clock had been advanced at this instant.
        public let offset: Duration

        public init(offset: Duration) {
            self.offset = offset
        }

        public func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        public func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [UInt64: Sleeper] = [:]
        var nextSleeperID: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The wall clock's reading when this clock was made.
    public let unixSecondsAtStart: UInt64

    /// A clock at offset zero whose wall clock reads `unixSecondsAtStart` until advanced.
    public init(unixSecondsAtStart: UInt64 = 1_800_000_000) {
        self.unixSecondsAtStart = unixSecondsAtStart
    }

    public var now: Instant { state.withLock { $0.now } }

    public var minimumResolution: Duration { .zero }

    /// The clock for a node's or seed's options: timers on this clock, and a wall clock that moves with it.
    public var colonioClock: ColonioClock {
        let start = unixSecondsAtStart
        return ColonioClock(self, unixSeconds: {
            start + UInt64(max(0, self.now.offset.components.seconds))
        })
    }

    /// How many tasks are sleeping on this clock (a test can wait for its subject to go idle).
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// Suspends until the clock has been advanced to `deadline`.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            state.nextSleeperID += 1
            return state.nextSleeperID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Result<Void, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let resumeNow { continuation.resume(with: resumeNow) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `duration` and wakes every sleeper whose deadline has come, earliest first.
    public func advance(by duration: Duration) {
        let due = state.withLock { state in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.value.deadline <= now }.sorted { $0.value.deadline < $1.value.deadline }
            for (id, _) in due { state.sleepers[id] = nil }
            return due.map(\.value.continuation)
        }
        for continuation in due { continuation.resume() }
    }
}
