/// Tracks requests awaiting responses: assigns request IDs, retries on timeout and fails after the last
/// retry.
///
/// Time comes in through ``expire(now:)``; the tracker never reads a clock. `Context` is whatever the
/// owner needs to resend or report the request.
public struct RequestTracker<Context> {
    /// What became of a request whose deadline passed.
    public enum Expiry {
        /// Send the request again (attempt number `attempt`, counting from 1); a new deadline is set.
        case retry(requestID: UInt64, attempt: UInt32, context: Context)
        /// The request is abandoned after its last retry.
        case failed(requestID: UInt64, context: Context)
    }

    fileprivate struct Entry {
        var context: Context
        var attempt: UInt32
        var deadline: MonotonicTime
    }

    /// Time to wait for a response before each retry.
    public let timeoutMilliseconds: UInt64
    /// Retries after the first attempt.
    public let retries: UInt32

    private var entries: [UInt64: Entry] = [:]
    private var nextID: UInt64 = 1
    private var earliestDeadline = MonotonicTime(milliseconds: .max)

    /// Creates a tracker.
    public init(timeoutMilliseconds: UInt64, retries: UInt32) {
        self.timeoutMilliseconds = timeoutMilliseconds
        self.retries = retries
    }

    /// Requests awaiting a response.
    public var pendingCount: Int { entries.count }

    /// Starts tracking a request; returns its new, never-zero request ID.
    public mutating func start(_ context: Context, now: MonotonicTime) -> UInt64 {
        let id = nextID
        nextID = nextID == .max ? 1 : nextID + 1
        let deadline = now.adding(milliseconds: timeoutMilliseconds)
        entries[id] = Entry(context: context, attempt: 1, deadline: deadline)
        earliestDeadline = Swift.min(earliestDeadline, deadline)
        return id
    }

    /// The context of a pending request, without completing it.
    public func context(of requestID: UInt64) -> Context? {
        entries[requestID]?.context
    }

    /// Ends tracking because a response arrived; returns `nil` for unknown or already finished requests
    /// (late or duplicate responses), which the caller drops.
    public mutating func complete(_ requestID: UInt64) -> Context? {
        entries.removeValue(forKey: requestID)?.context
    }

    /// Retries or fails every request whose deadline has passed, in request-ID order.
    public mutating func expire(now: MonotonicTime) -> [Expiry] {
        guard now >= earliestDeadline else { return [] }
        var due: [UInt64] = []
        var earliest = MonotonicTime(milliseconds: .max)
        for (id, entry) in entries {
            if entry.deadline <= now { due.append(id) } else { earliest = Swift.min(earliest, entry.deadline) }
        }
        due.sort()
        var result: [Expiry] = []
        for id in due {
            guard var entry = entries[id] else { continue }
            if entry.attempt <= retries {
                entry.attempt += 1
                entry.deadline = now.adding(milliseconds: timeoutMilliseconds)
                earliest = Swift.min(earliest, entry.deadline)
                entries[id] = entry
                result.append(.retry(requestID: id, attempt: entry.attempt, context: entry.context))
            } else {
                entries[id] = nil
                result.append(.failed(requestID: id, context: entry.context))
            }
        }
        earliestDeadline = earliest
        return result
    }

    /// Ends every pending request (for example when the node stops), in request-ID order.
    public mutating func removeAll() -> [(requestID: UInt64, context: Context)] {
        let all = entries.sorted { $0.key < $1.key }.map { (requestID: $0.key, context: $0.value.context) }
        entries.removeAll()
        earliestDeadline = MonotonicTime(milliseconds: .max)
        return all
    }
}

extension RequestTracker: Sendable where Context: Sendable {}
extension RequestTracker.Entry: Sendable where Context: Sendable {}
extension RequestTracker.Expiry: Sendable where Context: Sendable {}
