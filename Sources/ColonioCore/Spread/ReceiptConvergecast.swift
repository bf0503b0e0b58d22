/// What one node still waits for before it can tell the node that sent it a publication whether a
/// subscriber took that publication further on: the convergecast of receipts (the echo algorithm).
///
/// A publication that asks for a receipt forms a tree as it travels: each node's parent is the node it
/// first received it from. A node answers its parent (``SpreadBranchReport``) once every node it passed
/// the publication to has answered, "reached" as soon as one of them (or the node itself) reached a
/// subscriber; a node that already had the publication answers "not reached" at once, since it belongs
/// to another branch. So the publisher hears "not reached" only when every node of the tree has answered
/// that it is no subscriber, and it says ``SpreadError/noReceiver`` after a few round trips instead of
/// after ``GeoInstance/receiptTimeoutMilliseconds``. A lost answer (a node crashed, a link broke) leaves
/// its ancestors waiting: the publisher's timeout is the fallback, and no node ever guesses for a branch.
struct ReceiptConvergecast: Sendable {
    /// One publication this node forwarded and has not answered for yet.
    private struct Pending: Sendable {
        /// Whom to answer; `nil` at the publisher, which concludes instead.
        var parent: NodeID?
        /// The nodes this node passed the publication to that have not answered yet.
        var waiting: Set<NodeID>
        /// When to give up waiting (nobody is answered then).
        var expiry: MonotonicTime
    }

    private var pending: [SpreadMessageID: Pending] = [:]
    /// Most publications one node waits for at once; beyond it, new ones are not followed (their
    /// publishers fall back to the timeout) so a flood of publications cannot grow the state without bound.
    static let maximumPending = 4096

    /// How many publications this node is waiting for.
    var count: Int { pending.count }

    /// Starts waiting for the answers of `targets` (not empty) about `message`, to answer `parent`
    /// afterwards; returns `false` when too many are pending (nothing is then answered).
    mutating func wait(
        for message: SpreadMessageID, parent: NodeID?, targets: Set<NodeID>, expiry: MonotonicTime
    ) -> Bool {
        guard pending[message] != nil || pending.count < Self.maximumPending else { return false }
        pending[message] = Pending(parent: parent, waiting: targets, expiry: expiry)
        return true
    }

    /// Takes `node`'s answer about `message`. Returns whom to answer and what, once it is decided: at the
    /// first "reached", or when the last awaited node said "not reached"; `nil` while undecided or when
    /// the answer was not awaited (a duplicate, a late one, or one about a publication decided already).
    mutating func answer(
        _ message: SpreadMessageID, from node: NodeID, reached: Bool
    ) -> (parent: NodeID?, reached: Bool)? {
        guard var entry = pending[message], entry.waiting.contains(node) else { return nil }
        if reached {
            pending[message] = nil
            return (entry.parent, true)
        }
        entry.waiting.remove(node)
        guard entry.waiting.isEmpty else {
            pending[message] = entry
            return nil
        }
        pending[message] = nil
        return (entry.parent, false)
    }

    /// Forgets the publications whose answers did not come in time.
    mutating func removeExpired(now: MonotonicTime) {
        guard pending.contains(where: { $0.value.expiry <= now }) else { return }
        pending = pending.filter { $0.value.expiry > now }
    }
}
