/// Where a key lives on the ring.
///
/// A key's position is the first 128 bits (big-endian) of the SHA-256 digest of its UTF-8 bytes. Its
/// replicas are the node that owns that position (the node with the greatest ID <= the position, wrapping
/// past zero to the greatest ID overall) followed by that node's successors clockwise, until
/// `replicationFactor` distinct nodes are chosen (fewer if the ring has fewer nodes).
///
/// ``KVSInstance`` never computes the ring itself: the shell asks the ring for the replica set and passes
/// it in. ``replicas(ofPosition:sortedNodes:replicationFactor:)`` is the reference definition, used by
/// tests and simulators that hold the whole ring.
public enum KVSPlacement {
    /// The ring position of `key`.
    public static func position(ofKey key: KVSKey) -> NodeID {
        let digest = SHA256.hash(key.utf8)
        var value: UInt128 = 0
        for index in 0..<16 {
            value = value << 8 | UInt128(digest[index])
        }
        return NodeID(value)
    }

    /// The replicas of the ring position `position`, given every node of the ring sorted ascending and
    /// without duplicates: the owner first, then its successors.
    public static func replicas(
        ofPosition position: NodeID, sortedNodes: [NodeID], replicationFactor: Int
    ) -> [NodeID] {
        guard !sortedNodes.isEmpty, replicationFactor > 0 else { return [] }
        // First index whose ID is greater than the position; the owner sits just before it.
        var low = 0
        var high = sortedNodes.count
        while low < high {
            let middle = (low + high) / 2
            if sortedNodes[middle] <= position { low = middle + 1 } else { high = middle }
        }
        let ownerIndex = low == 0 ? sortedNodes.count - 1 : low - 1
        let count = min(replicationFactor, sortedNodes.count)
        var result: [NodeID] = []
        result.reserveCapacity(count)
        for step in 0..<count {
            result.append(sortedNodes[(ownerIndex + step) % sortedNodes.count])
        }
        return result
    }
}
