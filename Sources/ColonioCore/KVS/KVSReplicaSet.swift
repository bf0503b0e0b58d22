/// The acceptors of one key for one operation, as the ring reports them.
///
/// Normally only ``current`` is set. While the ring's membership changes, the shell passes the replicas
/// before the change as ``previous``: quorums must then be majorities of both sets (joint consensus), so
/// every quorum intersects every quorum of either configuration. See `docs/kvs.md`.
public struct KVSReplicaSet: Hashable, Sendable {
    /// The replicas after the latest membership change, without duplicates.
    public private(set) var current: [NodeID]
    /// The replicas before it, while the change is in progress.
    public private(set) var previous: [NodeID]?

    /// Creates a replica set; duplicate IDs are dropped.
    public init(_ current: [NodeID], previous: [NodeID]? = nil) {
        self.current = KVSReplicaSet.unique(current)
        self.previous = previous.map(KVSReplicaSet.unique)
        if self.previous == self.current { self.previous = nil }
    }

    /// Every node that takes part: the current replicas, then previous ones not among them.
    public var all: [NodeID] {
        var result = current
        for node in previous ?? [] where !result.contains(node) { result.append(node) }
        return result
    }

    /// Whether the set can ever reach a quorum.
    public var isEmpty: Bool { current.isEmpty || previous?.isEmpty == true }

    /// Whether `responders` hold a majority of ``current`` and, if set, of ``previous``.
    public func isQuorum(_ responders: Set<NodeID>) -> Bool {
        guard KVSReplicaSet.isMajority(responders, of: current) else { return false }
        guard let previous else { return true }
        return KVSReplicaSet.isMajority(responders, of: previous)
    }

    /// Whether a quorum is still reachable if none of `refused` ever says yes.
    public func isQuorumPossible(excluding refused: Set<NodeID>) -> Bool {
        guard KVSReplicaSet.isMajority(Set(current.filter { !refused.contains($0) }), of: current) else { return false }
        guard let previous else { return true }
        return KVSReplicaSet.isMajority(Set(previous.filter { !refused.contains($0) }), of: previous)
    }

    private static func isMajority(_ responders: Set<NodeID>, of members: [NodeID]) -> Bool {
        guard !members.isEmpty else { return false }
        var count = 0
        for member in members where responders.contains(member) { count += 1 }
        return count * 2 > members.count
    }

    private static func unique(_ nodes: [NodeID]) -> [NodeID] {
        var result: [NodeID] = []
        for node in nodes where !result.contains(node) { result.append(node) }
        return result
    }
}
