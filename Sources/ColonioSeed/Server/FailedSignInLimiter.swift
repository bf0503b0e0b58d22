import Synchronization

/// Failed sign-ins per client IP address, shared by every connection of the seed.
///
/// Why: the per-connection frame rate does not stop guessing tokens over many connections (10,000
/// wrong tokens over 100 connections took 0.18 s). Each address has a token bucket of
/// `perMinute` failures refilled over a minute; while it is empty, every sign-in from that address is
/// refused before the token is even compared. Only failures count, so nodes signing in correctly from
/// one address (a NAT, a test) are never slowed.
final class FailedSignInLimiter: Sendable {
    /// Addresses remembered at most; beyond it, addresses whose buckets are full again are forgotten,
    /// and if none is, all are (the limiter fails open rather than growing without bound).
    static let maximumAddresses = 65_536

    private let perMinute: Int
    private let buckets = Mutex<[String: TokenBucket]>([:])

    init(perMinute: Int) {
        self.perMinute = perMinute
    }

    /// Whether `address` may try to sign in now.
    func mayTry(address: String, now: Int64) -> Bool {
        buckets.withLock { buckets in
            guard var bucket = buckets[address] else { return true }
            let allowed = bucket.hasToken(now: now)
            buckets[address] = bucket
            return allowed
        }
    }

    /// Counts a failed sign-in of `address`.
    func failed(address: String, now: Int64) {
        buckets.withLock { buckets in
            var bucket = buckets[address]
                ?? TokenBucket(capacity: perMinute, refillPerSecond: Double(perMinute) / 60, now: now)
            _ = bucket.admit(now: now)
            buckets[address] = bucket
            if buckets.count > Self.maximumAddresses { Self.forgetFull(&buckets, now: now) }
        }
    }

    /// Forgets addresses that have not failed lately; called by the seed's periodic sweep.
    func sweep(now: Int64) {
        buckets.withLock { Self.forgetFull(&$0, now: now) }
    }

    private static func forgetFull(_ buckets: inout [String: TokenBucket], now: Int64) {
        buckets = buckets.filter { _, bucket in
            var bucket = bucket
            return !bucket.isFull(now: now)
        }
        if buckets.count > maximumAddresses { buckets.removeAll() }
    }
}
