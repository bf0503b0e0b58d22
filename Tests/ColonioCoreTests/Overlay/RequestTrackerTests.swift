import Testing
@testable import ColonioCore

@Suite struct RequestTrackerTests {
    @Test func idsAreUniqueAndNeverZero() {
        var tracker = RequestTracker<String>(timeoutMilliseconds: 100, retries: 1)
        let first = tracker.start("a", now: .zero)
        let second = tracker.start("b", now: .zero)
        #expect(first != 0 && second != 0 && first != second)
        #expect(tracker.pendingCount == 2)
    }

    @Test func timeoutsRetryThenFail() {
        var tracker = RequestTracker<String>(timeoutMilliseconds: 100, retries: 2)
        let id = tracker.start("ping", now: MonotonicTime(milliseconds: 0))
        do {
            let result = tracker.expire(now: MonotonicTime(milliseconds: 99))
            #expect(result.isEmpty)
        }
        let first = tracker.expire(now: MonotonicTime(milliseconds: 100))
        guard case .retry(id, 2, "ping")? = first.first, first.count == 1 else {
            Issue.record("expected first retry, got \(first)")
            return
        }
        do {
            let result = tracker.expire(now: MonotonicTime(milliseconds: 199))
            #expect(result.isEmpty)
        }
        guard case .retry(id, 3, "ping")? = tracker.expire(now: MonotonicTime(milliseconds: 200)).first else {
            Issue.record("expected second retry")
            return
        }
        guard case .failed(id, "ping")? = tracker.expire(now: MonotonicTime(milliseconds: 300)).first else {
            Issue.record("expected failure")
            return
        }
        #expect(tracker.pendingCount == 0)
        do {
            let result = tracker.complete(id)
            #expect(result == nil)
        }
    }

    @Test func completionStopsRetriesAndDuplicatesAreIgnored() {
        var tracker = RequestTracker<Int>(timeoutMilliseconds: 100, retries: 5)
        let id = tracker.start(7, now: .zero)
        #expect(tracker.context(of: id) == 7)
        do {
            let result = tracker.complete(id)
            #expect(result == 7)
        }
        do {
            let result = tracker.complete(id)
            #expect(result == nil)
        }
        do {
            let result = tracker.expire(now: MonotonicTime(milliseconds: 10_000))
            #expect(result.isEmpty)
        }
    }

    @Test func expiriesComeInRequestOrderAndRemoveAllEndsEverything() {
        var tracker = RequestTracker<Int>(timeoutMilliseconds: 10, retries: 0)
        let ids = (0..<20).map { tracker.start($0, now: .zero) }
        let failed = tracker.expire(now: MonotonicTime(milliseconds: 10)).compactMap { expiry -> UInt64? in
            if case .failed(let id, _) = expiry { return id }
            return nil
        }
        #expect(failed == ids)
        _ = tracker.start(1, now: .zero)
        _ = tracker.start(2, now: .zero)
        do {
            let result = tracker.removeAll().map(\.context)
            #expect(result == [1, 2])
        }
        #expect(tracker.pendingCount == 0)
    }
}
