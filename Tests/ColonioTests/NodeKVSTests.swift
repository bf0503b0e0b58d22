import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Testing

/// The replicated KVS between real nodes over WebRTC on loopback.
@Suite(.serialized) struct NodeKVSTests {
    /// Values acknowledged by a successful put, by key.
    actor Acknowledged {
        private(set) var values: [String: KVSValue] = [:]
        func record(_ value: KVSValue, for key: String) { values[key] = value }
    }

    @Test func acknowledgedWritesSurviveFourNodesCrashing() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(linkTimeoutMilliseconds: 4_000),
            logger: NodeEndToEndTests.logger)
        let nodes = try await NodeEndToEndTests.startNodes(16, seed: seed)
        // Wait until every node reaches an owner (the ring has formed).
        for (index, node) in nodes.enumerated() {
            _ = try await retrying { try await node.kvs.get("warm-up-\(index)") }
        }

        // Concurrent puts from every node, 4 keys each, then reads of each key from another node.
        let acknowledged = Acknowledged()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, node) in nodes.enumerated() {
                group.addTask {
                    for round in 0..<4 {
                        let key = "key-\(index)-\(round)"
                        let value = try await retrying {
                            try await node.kvs.put(key, Array("value \(index) \(round)".utf8))
                        }
                        #expect(value.version >= 1)
                        await acknowledged.record(value, for: key)
                    }
                }
            }
            try await group.waitForAll()
        }
        for (key, value) in await acknowledged.values {
            let reader = nodes[abs(key.hashValue) % nodes.count]
            #expect(try await reader.kvs.get(key) == value, "\(key)")
        }

        // Conditional writes: of 16 concurrent put-if-absent on one key exactly one wins.
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, node) in nodes.enumerated() {
                group.addTask {
                    do {
                        try await node.kvs.put("leader", [UInt8(index)], condition: .ifAbsent)
                        return true
                    } catch ColonioError.conditionFailed(let version) {
                        #expect(version == 1)
                        return false
                    }
                }
            }
            var count = 0
            for try await won in group where won { count += 1 }
            return count
        }
        #expect(winners == 1)
        let leader = try #require(try await nodes[3].kvs.get("leader"))
        #expect(leader.version == 1)
        await acknowledged.record(leader, for: "leader")

        // Compare-and-set, delete and typed errors.
        let first = try await nodes[1].kvs.put("cas", [1])
        let second = try await nodes[2].kvs.put("cas", [2], condition: .ifVersion(first.version))
        #expect(second.version == first.version + 1)
        await #expect(throws: ColonioError.conditionFailed(currentVersion: second.version)) {
            try await nodes[5].kvs.put("cas", [3], condition: .ifVersion(first.version))
        }
        try await nodes[6].kvs.delete("cas")
        #expect(try await nodes[7].kvs.get("cas") == nil)
        await #expect(throws: ColonioError.conditionFailed(currentVersion: nil)) {
            try await nodes[8].kvs.delete("cas", condition: .ifPresent)
        }
        await #expect(throws: ColonioError.valueTooLarge(limit: 1024 * 1024)) {
            try await nodes[0].kvs.put("huge", [UInt8](repeating: 0, count: 1024 * 1024 + 1))
        }

        // Four nodes crash at once (their links go silent), no two of them within three ring places of
        // each other, so every key keeps a majority of its replicas.
        var byID: [(id: NodeID, index: Int)] = []
        for (index, node) in nodes.enumerated() { byID.append((try #require(await node.nodeID), index)) }
        byID.sort { $0.id < $1.id }
        let dropped = Set([0, 4, 8, 12].map { byID[$0].index })
        for index in dropped { await nodes[index].crash() }
        let survivors = nodes.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)

        // Every acknowledged value is still readable, and correct, from every survivor's side.
        for (offset, entry) in (await acknowledged.values).sorted(by: { $0.key < $1.key }).enumerated() {
            let reader = survivors[offset % survivors.count]
            let read = try await retrying { try await reader.kvs.get(entry.key) }
            #expect(read == entry.value, "\(entry.key)")
        }
        // And writable.
        let after = try await retrying { try await survivors[0].kvs.put("after", [9]) }
        #expect(try await survivors[5].kvs.get("after") == after)

        for node in survivors { await node.disconnect() }
        await #expect(throws: ColonioError.notConnected) { try await nodes[0].kvs.get("x") }
        await seed.stop()
    }
}
