/// A token bucket: `rate` frames per second on average, bursts of up to `rate` frames.
struct FrameRateLimiter {
    private let rate: Double
    private var tokens: Double
    private var lastMilliseconds: Int64

    init(framesPerSecond: Int, now: Int64) {
        rate = Double(framesPerSecond)
        tokens = rate
        lastMilliseconds = now
    }

    /// Takes one token; `false` means the frame must be refused.
    mutating func admit(now: Int64) -> Bool {
        let elapsed = Double(max(0, now - lastMilliseconds)) / 1000
        lastMilliseconds = now
        tokens = min(rate, tokens + elapsed * rate)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
