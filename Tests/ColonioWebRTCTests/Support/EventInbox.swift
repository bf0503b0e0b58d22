import ColonioWebRTC
import Synchronization

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// The events of one link other than local candidates, awaited one by one with a timeout.
final class EventInbox: Sendable {
    private struct State {
        var events: [PeerLinkEvent] = []
        var head = 0
        var finished = false
        var waiter: CheckedContinuation<PeerLinkEvent?, Never>?
    }

    private let state = Mutex(State())

    func push(_ event: PeerLinkEvent) {
        let waiter: CheckedContinuation<PeerLinkEvent?, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.events.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// The next event, or nil when the stream ended or the task was cancelled.
    func next() async -> PeerLinkEvent? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<PeerLinkEvent?, Never>) in
                let immediate: PeerLinkEvent?? = state.withLock { state in
                    if state.head < state.events.count {
                        defer { state.head += 1 }
                        return .some(state.events[state.head])
                    }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }

    /// The next event within `timeout`; throws `TimedOut` otherwise.
    func next(
        within timeout: Duration = .seconds(10), waitingFor what: String = "an event"
    ) async throws -> PeerLinkEvent? {
        try await withThrowingTaskGroup(of: PeerLinkEvent??.self) { group in
            group.addTask { .some(await self.next()) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let event = first else { throw TimedOut(what: what) }
            return event
        }
    }

    /// Skips state changes until an event matching `predicate`; returns it.
    func expect(
        _ what: String, within timeout: Duration = .seconds(10), _ predicate: (PeerLinkEvent) -> Bool
    ) async throws -> PeerLinkEvent {
        let deadline = ContinuousClock.now + timeout
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero, let event = try await next(within: remaining, waitingFor: what) else {
                throw TimedOut(what: what)
            }
            if predicate(event) { return event }
            if case .stateChanged = event { continue }
            if case .opened = event { continue }
            return event
        }
    }

    /// The next whole message, skipping state changes.
    func message(within timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        let event = try await expect("a message", within: timeout) { if case .message = $0 { true } else { false } }
        guard case .message(let bytes) = event else { throw UnexpectedEvent(event: event) }
        return bytes
    }
}

struct UnexpectedEvent: Error {
    let event: PeerLinkEvent
}
