/// A point in time as the shell's monotonic clock saw it, in milliseconds since an arbitrary origin.
///
/// State machines in ``ColonioCore`` never read a clock: every input carries the current time as one of
/// these, so the same code runs under a real clock and the simulator's virtual one.
public struct MonotonicTime: Hashable, Comparable, Sendable {
    /// Milliseconds since the shell's origin.
    public var milliseconds: UInt64

    /// Creates a time from milliseconds since the shell's origin.
    public init(milliseconds: UInt64) {
        self.milliseconds = milliseconds
    }

    /// The origin.
    public static let zero = MonotonicTime(milliseconds: 0)

    public static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool {
        lhs.milliseconds < rhs.milliseconds
    }

    /// This time plus `milliseconds` (saturating).
    public func adding(milliseconds delta: UInt64) -> MonotonicTime {
        let (sum, overflow) = milliseconds.addingReportingOverflow(delta)
        return MonotonicTime(milliseconds: overflow ? .max : sum)
    }

    /// Milliseconds from `earlier` to this time, or 0 if `earlier` is later.
    public func milliseconds(since earlier: MonotonicTime) -> UInt64 {
        milliseconds >= earlier.milliseconds ? milliseconds - earlier.milliseconds : 0
    }
}
