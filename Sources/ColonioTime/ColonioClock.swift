#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a node or a seed reads the time: a monotonic clock for its timers and timeouts, and the wall
/// clock for certificate times. Both are inputs so that tests can hand in a manual clock
/// (`ColonioTesting.ManualClock`) and run timer rules without waiting for them.
public struct ColonioClock: Sendable {
    private let elapsedSinceCreation: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void
    private let wallClock: @Sendable () -> UInt64

    /// The system's monotonic clock and wall clock.
    public static var system: ColonioClock {
        ColonioClock(ContinuousClock(), unixSeconds: {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            return UInt64(max(0, now.tv_sec))
        })
    }

    /// A clock that reads `clock` for timers (measured from now) and `unixSeconds` for the wall clock.
    public init<Base: Clock>(_ clock: Base, unixSeconds: @escaping @Sendable () -> UInt64)
    where Base.Duration == Duration {
        let origin = clock.now
        elapsedSinceCreation = { origin.duration(to: clock.now) }
        sleeper = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
        wallClock = unixSeconds
    }

    /// Time since this clock value was made (never negative).
    public func elapsed() -> Duration {
        max(.zero, elapsedSinceCreation())
    }

    /// Whole milliseconds since this clock value was made: the state machines' time.
    public func elapsedMilliseconds() -> UInt64 {
        let elapsed = elapsed().components
        return UInt64(elapsed.seconds) * 1000 + UInt64(elapsed.attoseconds / 1_000_000_000_000_000)
    }

    /// The wall clock in Unix seconds, for certificate and credential expiry.
    public func unixSeconds() -> UInt64 {
        wallClock()
    }

    /// Suspends for `duration` of this clock's time.
    /// - Throws: `CancellationError` when the task is cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await sleeper(duration)
    }
}
