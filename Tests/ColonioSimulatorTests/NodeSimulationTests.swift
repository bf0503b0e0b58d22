import ColonioCore
import Testing
@testable import ColonioSimulator

/// Whole nodes (the ``NodeController`` that native and browser nodes run) on a simulated seed and links:
/// the ring forms and repairs, requests reach exactly their node, the KVS (its coordinator, over the
/// overlay) keeps acknowledged writes, and pub/sub (over the overlay) reaches every subscriber inside a
/// circle exactly once.
@Suite struct NodeSimulationTests {
    private func grow(_ simulation: NodeSimulation, to count: Int, position: (Int) -> Position? = { _ in nil }, topics: [String] = []) {
        for index in 0..<count {
            simulation.addNode(position: position(index), topics: topics)
            simulation.run(for: 50)
        }
    }

    @Test func theRingFormsAndRepairsAfterCrashes() throws {
        var configuration = SimulationConfiguration(seed: 11)
        configuration.settings.stabilizeIntervalMilliseconds = 1_000
        let simulation = NodeSimulation(configuration: configuration)
        grow(simulation, to: 120)
        let formed = simulation.timeUntilNeighboursExact(limit: 60_000)
        #expect(formed != nil, "the ring did not form: \(simulation.nodesWithWrongNeighbours().count) nodes wrong")
        #expect(simulation.requestsArriveExactly(count: 100, seed: 1, wait: 15_000))
        #expect(simulation.linkCounts().allSatisfy { $0 <= Int(configuration.settings.maximumLinks) })
        // 10% crash at once.
        var random = SplitMix64(seed: 3)
        for _ in 0..<12 {
            let ids = simulation.liveNodeIDs
            simulation.crash(ids[Int(random.next() % UInt64(ids.count))])
        }
        let repaired = simulation.timeUntilNeighboursExact(limit: 90_000)
        #expect(repaired != nil, "not repaired: \(simulation.nodesWithWrongNeighbours().count) nodes wrong")
        #expect(simulation.requestsArriveExactly(count: 100, seed: 2, wait: 15_000))
    }

    @Test func theKVSKeepsAcknowledgedWritesWhenAReplicaCrashes() throws {
        let simulation = NodeSimulation(configuration: SimulationConfiguration(seed: 5))
        grow(simulation, to: 30)
        #expect(simulation.timeUntilNeighboursExact(limit: 60_000) != nil)
        let ids = simulation.liveNodeIDs
        for key in 0..<10 {
            try simulation.startKVS(.put([UInt8(key)], condition: .ifAbsent), key: "k\(key)", at: ids[key])
        }
        simulation.run(for: 5_000)
        #expect(simulation.kvsCompletions.count == 10)
        #expect(simulation.kvsCompletions.allSatisfy { if case .success(let value?) = $0.result { value.version == 1 } else { false } })
        simulation.kvsCompletions.removeAll()
        // One node crashes (a replica of some keys); after the ring noticed, every key reads back.
        simulation.crash(ids[15])
        simulation.run(for: 10_000)
        for key in 0..<10 {
            try simulation.startKVS(.get, key: "k\(key)", at: ids[(key + 20) % 30 == 15 ? 0 : (key + 20) % 30])
        }
        simulation.run(for: 10_000)
        let values = simulation.kvsCompletions.map { completion -> [UInt8]? in
            if case .success(let value?) = completion.result { value.bytes } else { nil }
        }
        #expect(values.count == 10)
        #expect(Set(values.compactMap { $0 }) == Set((0..<10).map { [UInt8($0)] }))
    }

    @Test func pubSubOverTheOverlayReachesEverySubscriberInsideOnce() throws {
        var configuration = SimulationConfiguration(seed: 7)
        let space = CoordinateSpace.plane(width: 1_000, height: 1_000)
        configuration.space = space
        let simulation = NodeSimulation(configuration: configuration)
        var random = SplitMix64(seed: 9)
        var positions: [NodeID: Position] = [:]
        for _ in 0..<60 {
            let position = Position(x: Double(random.next() % 1_000), y: Double(random.next() % 1_000))
            let id = simulation.addNode(position: position, topics: ["t"])
            positions[id] = position
            simulation.run(for: 50)
        }
        simulation.run(for: 30_000)
        let ids = simulation.liveNodeIDs
        for round in 0..<10 {
            let center = Position(x: Double(random.next() % 1_000), y: Double(random.next() % 1_000))
            let radius = Double(100 + random.next() % 300)
            simulation.spreadArrivals.removeAll()
            let publisher = ids[round * 5 % ids.count]
            try simulation.publish(from: publisher, topic: "t", payload: [UInt8(round)], center: center, radius: radius)
            simulation.run(for: 5_000)
            let inside = Set(positions.filter { space.distance($0.value, center) <= radius && $0.key != publisher }.keys)
            let received = simulation.spreadArrivals.map(\.receiver)
            #expect(Set(received) == inside, "round \(round)")
            #expect(received.count == Set(received).count, "round \(round): a subscriber received twice")
        }
    }
}
