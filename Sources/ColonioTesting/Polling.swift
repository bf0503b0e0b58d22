/// Polls `condition` until it holds or `timeout` of real time has passed; `true` if it held.
///
/// For conditions a test cannot be told about (another process, a real network). Prefer awaiting the
/// event itself, or a ``ManualClock``, where the subject allows it.
public func eventually(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    try await eventuallyValue(timeout: timeout, every: interval) { try await condition() ? true : nil } != nil
}

/// Polls `body` until it returns a value (not `nil`) or `timeout` of real time has passed.
public func eventuallyValue<Value>(
    timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20),
    _ body: () async throws -> Value?
) async rethrows -> Value? {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await body() { return value }
        if ContinuousClock.now >= deadline { return nil }
        try? await Task.sleep(for: interval)
    }
}

/// Runs `body` until it returns instead of throwing, or `timeout` of real time has passed; then throws
/// the last error. For calls that fail until the network has settled (a request before the ring formed).
public func retrying<Value>(
    timeout: Duration = .seconds(30), every interval: Duration = .milliseconds(100),
    _ body: () async throws -> Value
) async throws -> Value {
    let deadline = ContinuousClock.now + timeout
    while true {
        do {
            return try await body()
        } catch {
            if ContinuousClock.now >= deadline { throw error }
        }
        try? await Task.sleep(for: interval)
    }
}
