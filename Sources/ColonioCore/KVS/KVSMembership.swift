/// One node's view of which nodes replicate the keys around it, and of the configuration before recent
/// ring changes (the joint phase of `docs/kvs.md`).
///
/// The view is the node's *window*: its first `R - 1` predecessors, itself and its first `R - 1`
/// successors. The replicas of a key owned by the node or one of those predecessors (the node's *arc*)
/// lie inside it, so the window answers for every key the node owns or replicates.
///
/// The previous configuration is the window without the nodes that *joined the ring* inside it and with
/// every node that left the window, during the joint phase. A node appearing at the far end of the window
/// because a nearer one left was on the ring before, so it counts as old. A node starts as having joined
/// itself, and the neighbours it finds while it is joining count as old: for a node that just joined, the
/// previous configuration is the ring without it. An entry or exit is forgotten ``jointMilliseconds`` after
/// it happened, once the shell says that the repairs it caused are done.
public struct KVSMembership: Sendable {
    /// This node.
    public let localID: NodeID
    /// Replicas per key.
    public let replicationFactor: Int
    /// How long a change keeps the configuration before it in use: long enough for every node concerned to
    /// learn of the change and for operations started before it to end.
    public let jointMilliseconds: UInt64
    /// The current window, sorted by ID, including this node.
    public private(set) var window: [NodeID]
    private var successors: [NodeID] = []
    private var predecessors: [NodeID] = []
    private var joined: [NodeID: MonotonicTime]
    private var left: [NodeID: MonotonicTime] = [:]

    /// Creates the view of a node that has just started (alone in its window).
    public init(localID: NodeID, replicationFactor: Int, jointMilliseconds: UInt64, now: MonotonicTime) {
        self.localID = localID
        self.replicationFactor = max(1, replicationFactor)
        self.jointMilliseconds = jointMilliseconds
        window = [localID]
        joined = [localID: now]
    }

    /// Whether a change is still in its joint phase.
    public var isJoint: Bool { !joined.isEmpty || !left.isEmpty }

    /// The window before the changes still in their joint phase, sorted by ID.
    public var previousWindow: [NodeID] {
        var result = window.filter { joined[$0] == nil }
        for node in left.keys where !result.contains(node) { result.append(node) }
        result.sort()
        return result
    }

    /// Replaces the window with the ring's current neighbours (nearest first); returns whether it changed.
    public mutating func update(successors newSuccessors: [NodeID], predecessors newPredecessors: [NodeID], now: MonotonicTime) -> Bool {
        let reach = replicationFactor - 1
        let nextSuccessors = Array(newSuccessors.prefix(reach))
        let nextPredecessors = Array(newPredecessors.prefix(reach))
        var next = Set(nextSuccessors)
        next.formUnion(nextPredecessors)
        next.insert(localID)
        let sorted = next.sorted()
        defer {
            successors = nextSuccessors
            predecessors = nextPredecessors
        }
        guard sorted != window else { return false }
        let before = Set(window)
        let discovering = joined[localID] != nil
        for node in sorted where !before.contains(node) {
            // A node that left during the joint phase and came back was in the previous window all along.
            if left.removeValue(forKey: node) != nil || discovering { continue }
            if isNewcomer(node, successorsBefore: successors, predecessorsBefore: predecessors, reach: reach) {
                joined[node] = now
            }
        }
        for node in window where !next.contains(node) {
            // A node that joined during the joint phase and left again was never in the previous window.
            if joined.removeValue(forKey: node) == nil { left[node] = now }
        }
        window = sorted
        return true
    }

    /// Whether `node`, new in the window, joined the ring rather than slid in from beyond the window's
    /// far end: it lies nearer than the farthest neighbour on its side was, or that side was not full.
    private func isNewcomer(_ node: NodeID, successorsBefore: [NodeID], predecessorsBefore: [NodeID], reach: Int) -> Bool {
        let successorDistance = localID.distance(to: node)
        let predecessorDistance = node.distance(to: localID)
        let nearerSuccessor = successorsBefore.count < reach
            || successorsBefore.contains { successorDistance < localID.distance(to: $0) }
        let nearerPredecessor = predecessorsBefore.count < reach
            || predecessorsBefore.contains { predecessorDistance < $0.distance(to: localID) }
        // It sits on the side where it is nearer to this node.
        return successorDistance <= predecessorDistance ? nearerSuccessor : nearerPredecessor
    }

    /// Ends the joint phase of changes older than ``jointMilliseconds``; call only when every repair they
    /// caused has succeeded. Returns whether the previous configuration changed.
    public mutating func expire(now: MonotonicTime) -> Bool {
        let before = joined.count + left.count
        joined = joined.filter { now.milliseconds(since: $0.value) < jointMilliseconds }
        left = left.filter { now.milliseconds(since: $0.value) < jointMilliseconds }
        return joined.count + left.count != before
    }

    /// Whether `position` is owned by this node or one of its first `R - 1` predecessors, the positions
    /// whose replicas this window knows. A window that holds the whole ring covers every position.
    public func covers(_ position: NodeID) -> Bool {
        let reach = replicationFactor - 1
        guard let nearestSuccessor = successors.first, predecessors.count >= reach,
              successors.count >= reach, window.count >= 2 * reach + 1 else { return true }
        let start = predecessors.last ?? localID
        return start.distance(to: position) < start.distance(to: nearestSuccessor)
    }

    /// The replica set of ring position `position`, with the previous configuration's replicas while a
    /// change is in its joint phase. Exact for positions this node ``covers(_:)``.
    public func replicaSet(ofPosition position: NodeID) -> KVSReplicaSet {
        let current = currentReplicas(ofPosition: position)
        guard isJoint else { return KVSReplicaSet(current) }
        let previous = previousReplicas(ofPosition: position)
        return KVSReplicaSet(current, previous: previous.isEmpty ? nil : previous)
    }

    /// The replicas under the previous configuration alone; the current ones outside a joint phase.
    public func previousReplicas(ofPosition position: NodeID) -> [NodeID] {
        KVSPlacement.replicas(ofPosition: position, sortedNodes: previousWindow, replicationFactor: replicationFactor)
    }

    /// The replicas under the current configuration alone.
    public func currentReplicas(ofPosition position: NodeID) -> [NodeID] {
        KVSPlacement.replicas(ofPosition: position, sortedNodes: window, replicationFactor: replicationFactor)
    }
}
