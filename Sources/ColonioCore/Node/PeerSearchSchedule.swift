/// When a node with no link at all asks the seed for peers (`SeedFrame.findPeers`).
///
/// A node whose every neighbour failed twice has forgotten them all, and nobody else remembers it: left
/// alone it would stay alone for good. It asks first `firstDelay` after losing its last link (a link
/// being opened counts as one), then ever less often while asking brings no link, up to `maximumDelay`,
/// so that a node that really is alone costs the seed one small request per `maximumDelay`.
/// Pure: the shells (native and browser) feed it the clock.
public struct PeerSearchSchedule: Sendable {
    public let firstDelayMilliseconds: UInt64
    public let maximumDelayMilliseconds: UInt64
    private var due: MonotonicTime?
    private var delay: UInt64

    /// Creates a schedule; `maximumDelayMilliseconds` is at least `firstDelayMilliseconds`.
    public init(firstDelayMilliseconds: UInt64 = 1_000, maximumDelayMilliseconds: UInt64 = 30_000) {
        self.firstDelayMilliseconds = max(1, firstDelayMilliseconds)
        self.maximumDelayMilliseconds = max(self.firstDelayMilliseconds, maximumDelayMilliseconds)
        delay = self.firstDelayMilliseconds
    }

    /// Called on every tick with whether the node has no link at all; `true` when it should ask now.
    public mutating func isDue(alone: Bool, now: MonotonicTime) -> Bool {
        guard alone else {
            due = nil
            delay = firstDelayMilliseconds
            return false
        }
        guard let when = due else {
            due = now.adding(milliseconds: delay)
            return false
        }
        guard now >= when else { return false }
        delay = min(delay * 2, maximumDelayMilliseconds)
        due = now.adding(milliseconds: delay)
        return true
    }
}
