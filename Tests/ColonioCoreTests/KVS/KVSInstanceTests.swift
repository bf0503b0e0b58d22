import Testing
@testable import ColonioCore

@Suite("KVS instance")
struct KVSInstanceTests {
    let a = NodeID(10), b = NodeID(20), c = NodeID(30), d = NodeID(40)
    var replicas: KVSReplicaSet { KVSReplicaSet([a, b, c]) }

    @Test func putThenGetFromAnotherNode() {
        var network = KVSTestNetwork(nodes: [a, b, c, d])
        let put = network.start(.put([1, 2], condition: .none), key: "k", at: d, replicas: replicas)
        network.run()
        #expect(network.completions[put] == .success(KVSValue(bytes: [1, 2], version: 1)))
        // Prepare, promise, accept, accepted to and from each of three remote replicas.
        #expect(network.delivered == 12)

        network.delivered = 0
        let get = network.start(.get, key: "k", at: d, replicas: replicas)
        network.run()
        #expect(network.completions[get] == .success(KVSValue(bytes: [1, 2], version: 1)))
        // Every replica reported the same accepted ballot: one round trip, no write-back.
        #expect(network.delivered == 6)
    }

    @Test func proposerOnAReplicaTalksToItselfWithoutMessages() {
        var network = KVSTestNetwork(nodes: [a, b, c])
        let put = network.start(.put([7], condition: .none), key: "k", at: a, replicas: replicas)
        network.run()
        #expect(network.completions[put] == .success(KVSValue(bytes: [7], version: 1)))
        #expect(network.delivered == 8)
    }

    @Test func conditionsAndTombstones() {
        var network = KVSTestNetwork(nodes: [a, b, c])
        func run(_ command: KVSCommand) -> Result<KVSValue?, KVSError>? {
            let id = network.start(command, key: "k", at: a, replicas: replicas)
            network.run()
            return network.completions[id]
        }
        #expect(run(.put([1], condition: .ifPresent)) == .failure(.conditionFailed(currentVersion: nil)))
        #expect(run(.put([1], condition: .ifAbsent)) == .success(KVSValue(bytes: [1], version: 1)))
        #expect(run(.put([2], condition: .ifAbsent)) == .failure(.conditionFailed(currentVersion: 1)))
        #expect(run(.put([2], condition: .ifVersion(5))) == .failure(.conditionFailed(currentVersion: 1)))
        #expect(run(.put([2], condition: .ifVersion(1))) == .success(KVSValue(bytes: [2], version: 2)))
        #expect(run(.delete(condition: .ifVersion(1))) == .failure(.conditionFailed(currentVersion: 2)))
        #expect(run(.delete(condition: .none)) == .success(nil))
        #expect(run(.get) == .success(nil))
        #expect(run(.delete(condition: .ifPresent)) == .failure(.conditionFailed(currentVersion: nil)))
        #expect(run(.delete(condition: .none)) == .success(nil))
        // Versions continue past the tombstone, so the old compare-and-set cannot succeed again.
        #expect(run(.put([3], condition: .ifVersion(2))) == .failure(.conditionFailed(currentVersion: nil)))
        #expect(run(.put([3], condition: .ifAbsent)) == .success(KVSValue(bytes: [3], version: 4)))
    }

    @Test func invalidInputCompletesAtOnce() {
        var settings = KVSSettings()
        settings.maximumKeyBytes = 4
        settings.maximumValueBytes = 2
        var instance = KVSInstance(nodeID: a, settings: settings)
        var random = SplitMix64(seed: 1)
        let (first, tooLongKey) = instance.start(.get, key: "12345", replicas: replicas, now: .zero, using: &random)
        #expect(tooLongKey == [.complete(first, .failure(.keyTooLarge(limit: 4)))])
        let (second, tooLarge) = instance.start(
            .put([1, 2, 3], condition: .none), key: "k", replicas: replicas, now: .zero, using: &random)
        #expect(tooLarge == [.complete(second, .failure(.valueTooLarge(limit: 2)))])
        let (third, noReplicas) = instance.start(
            .get, key: "k", replicas: KVSReplicaSet([]), now: .zero, using: &random)
        #expect(noReplicas == [.complete(third, .failure(.unavailable))])
        #expect(instance.pendingOperationCount == 0)
    }

    @Test func minorityFailureIsTolerated() {
        var network = KVSTestNetwork(nodes: [a, b, c, d])
        let down = c
        network.allows = { from, to in from != down && to != down }
        let put = network.start(.put([1], condition: .none), key: "k", at: d, replicas: replicas)
        network.run()
        #expect(network.completions[put] == .success(KVSValue(bytes: [1], version: 1)))
    }

    @Test func unreachableMajorityFailsAsUnavailableAfterTheDeadline() {
        var network = KVSTestNetwork(nodes: [a, b, c, d])
        network.allows = { _, to in to == a }
        let put = network.start(.put([1], condition: .none), key: "k", at: d, replicas: replicas)
        network.run()
        for _ in 0..<19 {
            network.tick(advancingBy: 500)
            network.run()
        }
        #expect(network.completions[put] == nil)
        network.tick(advancingBy: 500)
        #expect(network.completions[put] == .failure(.unavailable))
    }

    @Test func lostAcceptedRepliesEndInTimeoutNotUnavailable() {
        var network = KVSTestNetwork(nodes: [a, b, c, d])
        // Every accept is lost, but the proposer cannot know that: the write may have happened.
        network.allowsMessage = { if case .accept = $0 { false } else { true } }
        let put = network.start(.put([1], condition: .none), key: "k", at: d, replicas: replicas)
        network.run()
        for _ in 0..<20 {
            network.tick(advancingBy: 500)
            network.run()
        }
        #expect(network.completions[put] == .failure(.timeout))
    }

    /// A retry must not apply a put twice: the first attempt's write reached every replica but its replies
    /// were lost; the retry finds its own write tag in the register and reports that write.
    @Test func retryFindsItsOwnEarlierWrite() {
        var network = KVSTestNetwork(nodes: [a, b, c, d])
        network.allowsMessage = { if case .accepted = $0 { false } else { true } }
        let put = network.start(.put([5], condition: .ifAbsent), key: "k", at: d, replicas: replicas)
        network.run()
        // Two phase timeouts re-send the accept (replies still lost); the third starts a new attempt.
        network.tick(advancingBy: 500)
        network.run()
        network.tick(advancingBy: 500)
        network.run()
        network.allowsMessage = { _ in true }
        network.tick(advancingBy: 500)
        network.delivered = 0
        network.run()
        // Applying `.ifAbsent` again would fail the condition; instead the first write is reported, after
        // one round trip (the register is already chosen).
        #expect(network.completions[put] == .success(KVSValue(bytes: [5], version: 1)))
        #expect(network.delivered == 6)
    }

    /// The membership change the simulation exercises, step by step: a value chosen by {b, c} of {a, b, c}
    /// survives a move to {a, c, d} where the new quorum {a, d} alone would not have it.
    @Test func jointQuorumsAndRepairMoveStateToNewReplicas() {
        var network = KVSTestNetwork(nodes: [a, b, c, d])
        network.allows = { _, to in to != a }
        let put = network.start(.put([9], condition: .none), key: "k", at: b, replicas: replicas)
        network.run()
        #expect(network.completions[put] == .success(KVSValue(bytes: [9], version: 1)))
        #expect(network.instances[a]!.acceptorStates["k"] == nil)

        // Without the joint phase, {a, d} is a majority of the new set and knows nothing.
        network.allows = { _, to in to != c && to != b }
        let naive = network.start(.get, key: "k", at: a, replicas: KVSReplicaSet([a, c, d]))
        network.run()
        #expect(network.completions[naive] == .success(nil))

        // Joint phase: the repair needs majorities of both sets, so it reads {b, c} and writes {a, d} too.
        network.allows = { _, _ in true }
        let repair = network.start(.repair, key: "k", at: c, replicas: KVSReplicaSet([a, c, d], previous: [a, b, c]))
        network.run()
        #expect(network.completions[repair] == .success(KVSValue(bytes: [9], version: 1)))

        // After the change, the quorum that failed above sees the value.
        network.allows = { _, to in to != c && to != b }
        let get = network.start(.get, key: "k", at: a, replicas: KVSReplicaSet([a, c, d]))
        network.run()
        #expect(network.completions[get] == .success(KVSValue(bytes: [9], version: 1)))
    }

    @Test func replicaSetQuorums() {
        let single = KVSReplicaSet([a, b, c, a])
        #expect(single.current == [a, b, c])
        #expect(single.isQuorum([a, b]))
        #expect(!single.isQuorum([a, d]))
        let joint = KVSReplicaSet([a, c, d], previous: [a, b, c])
        #expect(joint.all == [a, c, d, b])
        #expect(!joint.isQuorum([a, d]))
        #expect(joint.isQuorum([a, c]))
        #expect(joint.isQuorum([b, c, d]))
        #expect(!joint.isQuorumPossible(excluding: [a, c]))
        #expect(joint.isQuorumPossible(excluding: [d]))
        #expect(KVSReplicaSet([a, b], previous: [a, b]).previous == nil)
    }
}

@Suite("KVS instance under hostile input")
struct KVSHostileInputTests {
    @Test func maximalBallotCounterStallsTheKeyWithoutCrashing() {
        let a = NodeID(1), b = NodeID(2), c = NodeID(3)
        var network = KVSTestNetwork(nodes: [a, b, c])
        let hostile = KVSBallot(counter: .max, node: .max)
        var random = SplitMix64(seed: 3)
        // A replica claims to have promised the largest possible ballot.
        _ = network.instances[b]!.receive(.prepare(key: "k", request: 1, ballot: hostile), from: c, now: .zero,
                                          using: &random)
        _ = network.instances[c]!.receive(.prepare(key: "k", request: 1, ballot: hostile), from: b, now: .zero,
                                          using: &random)
        let put = network.start(.put([1], condition: .none), key: "k", at: a, replicas: KVSReplicaSet([a, b, c]))
        network.run()
        for _ in 0..<200 {
            network.tick(advancingBy: 100)
            network.run()
        }
        #expect(network.completions[put] == .failure(.unavailable))
        // Other keys are unaffected.
        let other = network.start(.put([2], condition: .none), key: "other", at: a, replicas: KVSReplicaSet([a, b, c]))
        network.run()
        #expect(network.completions[other] == .success(KVSValue(bytes: [2], version: 1)))
    }
}
