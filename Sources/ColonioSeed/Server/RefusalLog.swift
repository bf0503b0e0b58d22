import Logging
import Synchronization

/// Log lines about refusals (frames, connections, requests), at most `linesPerSecond` for the whole
/// seed.
///
/// Why: every refusal used to be logged, so a client sending 2 KB of bad frames produced 21 MB of
/// log. Refusals are still all counted in the metrics; the lines left out are counted here and the next
/// line written says how many there were.
final class RefusalLog: Sendable {
    private struct State {
        var bucket: TokenBucket
        var suppressed = 0
    }

    private let state: Mutex<State>

    init(linesPerSecond: Int, now: Int64) {
        state = Mutex(State(bucket: TokenBucket(perSecond: linesPerSecond, now: now)))
    }

    /// Writes `message` at notice level unless this second's lines are used up; the metadata is built
    /// only when the line is written.
    func notice(
        _ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata,
        logger: Logger, now: Int64
    ) {
        guard logger.logLevel <= .notice, let suppressed = admit(now: now) else { return }
        var metadata = metadata()
        if suppressed > 0 { metadata["suppressedSincePreviousLine"] = "\(suppressed)" }
        logger.notice(message(), metadata: metadata)
    }

    /// The number of lines left out before this one, or `nil` if this one is left out too.
    private func admit(now: Int64) -> Int? {
        state.withLock { state in
            guard state.bucket.admit(now: now) else {
                state.suppressed += 1
                return nil
            }
            defer { state.suppressed = 0 }
            return state.suppressed
        }
    }
}
