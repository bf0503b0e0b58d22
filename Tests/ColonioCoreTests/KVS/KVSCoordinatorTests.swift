import Testing
@testable import ColonioCore

@Suite("KVS coordinator")
struct KVSCoordinatorTests {
    static let ring = (1...8).map { NodeID(UInt128($0) << 120) }

    @Test func operationsFromAnyNodeReachTheOwnerAndItsSuccessors() {
        var network = KVSCoordinatorNetwork(nodes: Self.ring)
        network.wait(milliseconds: 61_000)  // the start-up joint phase ends
        var puts: [(NodeID, KVSClientOperationID, String)] = []
        for index in 0..<40 {
            let node = Self.ring[index % Self.ring.count]
            puts.append((node, network.start(.put([UInt8(index)], condition: .none), key: KVSKey("k\(index)"), at: node), "k\(index)"))
        }
        network.run()
        for (index, (node, operation, _)) in puts.enumerated() {
            #expect(network.result(operation, at: node) == .success(KVSValue(bytes: [UInt8(index)], version: 1)))
        }
        // Each key is held by exactly its three replicas.
        for index in 0..<40 {
            let key = KVSKey("k\(index)")
            let replicas = KVSPlacement.replicas(
                ofPosition: KVSPlacement.position(ofKey: key), sortedNodes: Self.ring, replicationFactor: 3)
            let holders = Self.ring.filter { network.coordinators[$0]!.instance.acceptorStates[key] != nil }
            #expect(Set(holders) == Set(replicas), "k\(index)")
        }
        let reader = Self.ring[5]
        let get = network.start(.get, key: "k3", at: reader)
        network.delivered = 0
        network.run()
        #expect(network.result(get, at: reader) == .success(KVSValue(bytes: [3], version: 1)))
        // Request, prepare and promise to and from the two other replicas (one round trip), response.
        #expect(network.delivered == 6)
    }

    @Test func aRetriedRequestIsAppliedOnceAndAnsweredTheSame() {
        var network = KVSCoordinatorNetwork(nodes: Self.ring)
        let client = Self.ring[0]
        let put = network.start(.put([1], condition: .none), key: "once", at: client)
        network.duplicateNextOwnerRequest()
        network.run()
        #expect(network.result(put, at: client) == .success(KVSValue(bytes: [1], version: 1)))
        let get = network.start(.get, key: "once", at: client)
        network.run()
        #expect(network.result(get, at: client) == .success(KVSValue(bytes: [1], version: 1)))
        let served = Self.ring.map { network.coordinators[$0]!.statistics.duplicateRequests }.reduce(0, +)
        #expect(served == 1)
    }

    @Test func concurrentConditionalPutsOnOneKeyHaveOneWinner() {
        var network = KVSCoordinatorNetwork(nodes: Self.ring)
        let operations = Self.ring.map { ($0, network.start(.put([1], condition: .ifAbsent), key: "lock", at: $0)) }
        network.run()
        var wins = 0
        for (node, operation) in operations {
            switch network.result(operation, at: node) {
            case .success: wins += 1
            case .failure(.conditionFailed(currentVersion: 1)): break
            case let other: Issue.record("unexpected \(String(describing: other))")
            }
        }
        #expect(wins == 1)
    }

    /// A value chosen by two of its three replicas (the third was cut off) must survive a new node taking
    /// the third place and then one of the two holders crashing: only the repair moves it to the new node.
    @Test func repairsMoveValuesToAJoiningNode() throws {
        var nodes = Self.ring
        var network = KVSCoordinatorNetwork(nodes: nodes, jointMilliseconds: 5_000)
        network.wait(milliseconds: 6_000)
        // A key owned by ring[2], replicated on ring[2], ring[3], ring[4].
        let key = try #require((0..<10_000).lazy.map { KVSKey("key-\($0)") }.first {
            KVSPlacement.replicas(ofPosition: KVSPlacement.position(ofKey: $0), sortedNodes: nodes, replicationFactor: 3)
                == [nodes[2], nodes[3], nodes[4]]
        })
        network.cutOff = [nodes[4]]
        let put = network.start(.put([42], condition: .none), key: key, at: nodes[0])
        network.run()
        #expect(network.result(put, at: nodes[0]) == .success(KVSValue(bytes: [42], version: 1)))
        #expect(network.coordinators[nodes[4]]!.instance.acceptorStates[key] == nil)
        network.cutOff = []
        // A node joins just before the key's position: it now owns the key, whose replicas become
        // [joiner, ring[3], ring[4]] in place of [ring[2], ring[3], ring[4]].
        let position = KVSPlacement.position(ofKey: key)
        let joiner = NodeID(position.value - 1)
        #expect(joiner > nodes[2])
        network.add(joiner)
        nodes.append(joiner)
        nodes.sort()
        network.updateNeighbours()
        network.run()
        network.wait(milliseconds: 6_000)
        network.run()
        #expect(network.coordinators[joiner]!.instance.acceptorStates[key]?.register.bytes == [42])
        // ring[2] is no longer a replica and forgot the key; now ring[3] crashes.
        #expect(network.coordinators[Self.ring[2]]!.instance.acceptorStates[key] == nil)
        network.down = [Self.ring[3]]
        network.updateNeighbours()
        let get = network.start(.get, key: key, at: Self.ring[6])
        network.run()
        #expect(network.result(get, at: Self.ring[6]) == .success(KVSValue(bytes: [42], version: 1)))
    }

    @Test func membershipTellsJoinsFromWindowShifts() {
        let me = NodeID(100)
        var membership = KVSMembership(localID: me, replicationFactor: 3, jointMilliseconds: 1_000, now: .zero)
        // Found while joining: old members, so the previous window is the ring without this node.
        _ = membership.update(successors: [NodeID(110), NodeID(120)], predecessors: [NodeID(90), NodeID(80)], now: .zero)
        #expect(membership.previousWindow == [NodeID(80), NodeID(90), NodeID(110), NodeID(120)])
        let later = MonotonicTime(milliseconds: 2_000)
        let ended = membership.expire(now: later)
        #expect(ended)
        #expect(!membership.isJoint)
        // Successor 110 dies; 130 slides in from beyond the window: an old member.
        _ = membership.update(successors: [NodeID(120), NodeID(130)], predecessors: [NodeID(90), NodeID(80)], now: later)
        #expect(membership.previousWindow == [NodeID(80), NodeID(90), me, NodeID(110), NodeID(120), NodeID(130)])
        #expect(membership.replicaSet(ofPosition: NodeID(112)) == KVSReplicaSet(
            [me, NodeID(120), NodeID(130)], previous: [NodeID(110), NodeID(120), NodeID(130)]))
        let muchLater = MonotonicTime(milliseconds: 4_000)
        let endedAgain = membership.expire(now: muchLater)
        #expect(endedAgain)
        // 105 joins between this node and 120; 130 is pushed out of the window but still exists.
        _ = membership.update(successors: [NodeID(105), NodeID(120)], predecessors: [NodeID(90), NodeID(80)], now: muchLater)
        #expect(membership.previousWindow == [NodeID(80), NodeID(90), me, NodeID(120), NodeID(130)])
        #expect(membership.replicaSet(ofPosition: NodeID(101)) == KVSReplicaSet(
            [me, NodeID(105), NodeID(120)], previous: [me, NodeID(120), NodeID(130)]))
        #expect(membership.covers(NodeID(85)))
        #expect(!membership.covers(NodeID(75)))
        #expect(!membership.covers(NodeID(106)))
    }

    @Test func envelopesRoundTrip() throws {
        let envelopes: [KVSEnvelope] = [
            .request(KVSClientRequest(operation: 7, key: "a", command: .get)),
            .request(KVSClientRequest(operation: 8, key: "b", command: .put([1, 2], condition: .ifVersion(3)))),
            .request(KVSClientRequest(operation: 9, key: "c", command: .delete(condition: .ifPresent))),
            .request(KVSClientRequest(operation: 10, key: "d", command: .put([], condition: .ifAbsent))),
            .response(.success(nil)),
            .response(.success(KVSValue(bytes: [], version: 2))),
            .response(.success(KVSValue(bytes: [5], version: 9))),
            .response(.failure(.conditionFailed(currentVersion: nil))),
            .response(.failure(.conditionFailed(currentVersion: 4))),
            .response(.failure(.unavailable)),
            .response(.failure(.timeout)),
            .response(.failure(.valueTooLarge(limit: 10))),
            .response(.failure(.keyTooLarge(limit: 11))),
            .consensus(.prepare(key: "e", request: 1, ballot: KVSBallot(counter: 2, node: NodeID(3)))),
        ]
        for envelope in envelopes {
            #expect(try KVSEnvelope(decoding: envelope.encoded()) == envelope)
        }
        #expect(throws: WireDecodingError.self) { try KVSEnvelope(decoding: [0xFF, 0xFF]) }
        #expect(throws: WireDecodingError.self) { try KVSEnvelope(decoding: []) }
    }
}

@Suite("KVS coordinator simulation")
struct KVSCoordinatorSimulationTests {
    /// Random operations from 10 clients over 12 keys while nodes join and crash (never two neighbours),
    /// each node learning of every change at its own time; 3% of consensus messages lost, all reordered.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func historiesStayLinearizableThroughJoinsAndCrashes(seed: UInt64) {
        var configuration = KVSCoordinatorSimulation.Configuration()
        configuration.seed = seed
        var simulation = KVSCoordinatorSimulation(configuration)
        simulation.run()
        #expect(simulation.completed + simulation.abandoned == configuration.operations)
        let verdict = LinearizabilityChecker.check(KVSModel.self, simulation.history)
        #expect(verdict.isLinearizable, "keys with a non-linearizable history: \(verdict.failedPartitions)")
        // Most operations must actually succeed, or the check above proves little.
        #expect(simulation.unknownOutcomes * 10 < configuration.operations)
    }

    /// As above, but each crash takes two ring neighbours at once, so some keys keep only one of their
    /// three replicas. Those keys may fail (unavailable, timeout) for good; no history may show a lost
    /// acknowledged write or a stale read, on those keys or any other.
    ///
    /// Disabled: it finds violations today (docs/kvs.md, "Two neighbours crashing at once"). Seed 13: a
    /// node whose window had not yet learned of the crash received a request for a key it does not
    /// cover, computed replicas from that window (all without the key) and answered a put-if-absent
    /// with version 1 over a written key. Refusing such requests fixes that case but seed 11 then
    /// fails on three keys, not yet analysed. Remove `.disabled` to run it (about 10-30 s per seed).
    @Test(.disabled("finds linearizability violations; see docs/kvs.md"), arguments: [11, 12, 13] as [UInt64])
    func historiesStayLinearizableWhenKeysLoseAMajority(seed: UInt64) {
        var configuration = KVSCoordinatorSimulation.Configuration()
        configuration.seed = seed
        configuration.crashesTakeTheSuccessorToo = true
        var simulation = KVSCoordinatorSimulation(configuration)
        simulation.run()
        #expect(!simulation.keysThatLostAMajority.isEmpty, "no crash took a majority: the case was not exercised")
        #expect(simulation.completed + simulation.abandoned == configuration.operations)
        let verdict = LinearizabilityChecker.check(KVSModel.self, simulation.history)
        #expect(verdict.isLinearizable, "keys with a non-linearizable history: \(verdict.failedPartitions)")
        // The keys that kept a majority still served most operations.
        #expect(simulation.completed - simulation.unknownOutcomes > configuration.operations / 2)
    }
}
