/// A token bucket: holds up to `capacity` tokens and gains `refillPerSecond` of them each second;
/// each admitted event takes one. Time is an argument (milliseconds), so tests can move it.
struct TokenBucket: Sendable {
    private let capacity: Double
    private let refillPerMillisecond: Double
    private var tokens: Double
    private var lastMilliseconds: Int64

    init(capacity: Int, refillPerSecond: Double, now: Int64) {
        self.capacity = Double(capacity)
        refillPerMillisecond = refillPerSecond / 1000
        tokens = Double(capacity)
        lastMilliseconds = now
    }

    /// `rate` events per second on average, in bursts of up to `rate`.
    init(perSecond rate: Int, now: Int64) {
        self.init(capacity: rate, refillPerSecond: Double(rate), now: now)
    }

    /// Takes one token; `false` means the event must be refused.
    mutating func admit(now: Int64) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether a token is available, without taking it.
    mutating func hasToken(now: Int64) -> Bool {
        refill(now: now)
        return tokens >= 1
    }

    /// Whether the bucket is full again (nothing to remember about its events).
    mutating func isFull(now: Int64) -> Bool {
        refill(now: now)
        return tokens >= capacity
    }

    private mutating func refill(now: Int64) {
        let elapsed = Double(max(0, now - lastMilliseconds))
        lastMilliseconds = max(lastMilliseconds, now)
        tokens = min(capacity, tokens + elapsed * refillPerMillisecond)
    }
}
