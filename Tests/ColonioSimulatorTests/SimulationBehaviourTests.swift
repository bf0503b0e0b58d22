import ColonioCore
import Testing
@testable import ColonioSimulator

private func settle(_ simulation: Simulation, limit: UInt64 = 60_000) -> Bool {
    var waited: UInt64 = 0
    while waited < limit {
        simulation.run(for: 2_000)
        waited += 2_000
        if simulation.nodesWithWrongNeighbours().isEmpty { return true }
    }
    return false
}

/// Outcomes by request ID; only meaningful when one node sent every request.
private func outcomes(_ simulation: Simulation) -> [UInt64: RequestOutcome] {
    var result: [UInt64: RequestOutcome] = [:]
    for case .completed(_, let id, let outcome) in simulation.deliveries { result[id] = outcome }
    return result
}

@Suite struct SimulationBehaviourTests {
    @Test func runsAreReproducibleFromTheSeed() {
        func run() -> (UInt64, [NodeID], [[NodeID]]) {
            let simulation = Simulation(configuration: SimulationConfiguration(seed: 77, lossRate: 0.01))
            for _ in 0..<40 { simulation.addNode() }
            simulation.run(for: 20_000)
            let ids = simulation.liveNodeIDs
            return (simulation.eventCount, ids, ids.map { simulation.machine(of: $0)!.ring!.linkedPeers })
        }
        let first = run()
        let second = run()
        #expect(first.0 == second.0)
        #expect(first.1 == second.1)
        #expect(first.2 == second.2)
    }

    @Test func aSingleNodeAndTwoNodesWork() throws {
        var random = SplitMix64(seed: 1)
        let simulation = Simulation()
        let alone = simulation.addNode()
        simulation.run(for: 1_000)
        let selfRequest = try simulation.request(from: alone, payload: [1], to: .ownerOf(.random(using: &random)))
        simulation.run(for: 100)
        #expect(outcomes(simulation)[selfRequest] == .response([1]))
        let second = simulation.addNode()
        #expect(settle(simulation))
        #expect(simulation.machine(of: alone)!.ring!.successors == [second])
        #expect(simulation.machine(of: second)!.ring!.predecessors == [alone])
        let across = try simulation.request(from: alone, payload: [2], to: .node(second))
        simulation.run(for: 1_000)
        #expect(outcomes(simulation)[across] == .response([2]))
    }

    @Test func largeMessagesCrossSeveralHopsDespiteLoss() throws {
        var settings = RoutingSettings()
        settings.fragmentBytes = 4096
        settings.requestTimeoutMilliseconds = 2_000
        settings.requestRetries = 4
        // Frames are lost at random (including ring maintenance); fragments of lost attempts are retried.
        let lossy = Simulation(configuration: SimulationConfiguration(settings: settings, seed: 3, lossRate: 0.002))
        for _ in 0..<60 {
            lossy.addNode()
            lossy.run(for: 200)
        }
        #expect(settle(lossy, limit: 120_000))
        let nodes = lossy.liveNodeIDs
        let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        var ids: [UInt64] = []
        for index in 0..<10 {
            ids.append(try lossy.request(from: nodes[index], payload: payload, to: .node(nodes[(index * 7 + 30) % 60])))
        }
        lossy.run(for: 30_000)
        let results = outcomes(lossy)
        #expect(ids.allSatisfy { results[$0] == .response(payload) })
    }

    @Test func messagesToMissingNodesAndHandlersFailWithTypedErrors() throws {
        let simulation = Simulation(configuration: SimulationConfiguration(seed: 4))
        for _ in 0..<20 { simulation.addNode() }
        #expect(settle(simulation))
        let nodes = simulation.liveNodeIDs
        let missing = try simulation.request(from: nodes[0], payload: [], to: .node(nodes[10].advanced(by: 1)))
        let noHandler = try simulation.request(from: nodes[0], name: "absent", payload: [], to: .node(nodes[10]))
        simulation.run(for: 2_000)
        #expect(outcomes(simulation)[missing] == .failure(.unreachable))
        #expect(outcomes(simulation)[noHandler] == .failure(.noHandler))
    }

    @Test func unneededLinksCloseOnceTheRingSettles() {
        let simulation = Simulation(configuration: SimulationConfiguration(seed: 5))
        for _ in 0..<100 { simulation.addNode() }
        #expect(settle(simulation))
        simulation.run(for: 130_000)
        for id in simulation.liveNodeIDs {
            let ring = simulation.machine(of: id)!.ring!
            // Every remaining link is needed by one side or the other.
            for peer in ring.linkedPeers where ring.role(of: peer) == .none {
                #expect(simulation.machine(of: peer)!.ring!.role(of: id) != .none)
            }
        }
    }

    @Test func nodesFindTheirPlaceFromRandomBootstrapPeers() throws {
        var configuration = SimulationConfiguration(seed: 6)
        configuration.randomBootstrapPeers = true
        let simulation = Simulation(configuration: configuration)
        simulation.addNode()
        simulation.run(for: 1_000)
        for _ in 0..<150 { simulation.addNode() }
        #expect(settle(simulation, limit: 120_000))
        try expectExactRouting(simulation, seed: 61)
    }

    @Test func theRingStaysExactUnderChurn() throws {
        let simulation = Simulation(configuration: SimulationConfiguration(seed: 7))
        for _ in 0..<200 { simulation.addNode() }
        #expect(settle(simulation, limit: 120_000))
        var random = SplitMix64(seed: 71)
        // Every second for 30 s, one node crashes and one joins.
        for _ in 0..<30 {
            let nodes = simulation.liveNodeIDs
            simulation.crash(nodes[Int(random.next() % UInt64(nodes.count))])
            simulation.addNode()
            simulation.run(for: 1_000)
        }
        #expect(simulation.liveCount == 200)
        #expect(settle(simulation, limit: 120_000))
        try expectExactRouting(simulation, seed: 72)
    }
}

/// Requests from random nodes to random exact IDs and owners of random keys all reach the right node.
private func expectExactRouting(_ simulation: Simulation, seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    let nodes = simulation.liveNodeIDs
    simulation.deliveries.removeAll()
    var expected: [UInt8: NodeID] = [:]
    for tag in 0..<UInt8(100) {
        let source = nodes[Int(random.next() % UInt64(nodes.count))]
        if tag % 2 == 0 {
            let target = nodes[Int(random.next() % UInt64(nodes.count))]
            expected[tag] = target
            try simulation.request(from: source, payload: [tag], to: .node(target))
        } else {
            let key = NodeID.random(using: &random)
            expected[tag] = simulation.owner(of: key)
            try simulation.request(from: source, payload: [tag], to: .ownerOf(key))
        }
    }
    simulation.run(for: 5_000)
    var received: [UInt8: NodeID] = [:]
    for case .message(let receiver, let message) in simulation.deliveries { received[message.payload[0]] = receiver }
    #expect(received == expected)
    // Request IDs are per requester, so count completions rather than keying them by ID.
    var responses = 0
    for case .completed(_, _, .response) in simulation.deliveries { responses += 1 }
    #expect(responses == 100)
}
