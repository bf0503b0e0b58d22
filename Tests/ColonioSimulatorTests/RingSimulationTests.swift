import ColonioCore
import Foundation
import Testing
@testable import ColonioSimulator

/// What a round of sampled requests showed.
private struct RoutingReport {
    var sent = 0
    var correct = 0
    var totalHops = 0
    var wrongReceivers = 0
    var failures = 0

    var meanHops: Double { correct == 0 ? 0 : Double(totalHops) / Double(correct) }
}

/// Sends `pairs` requests to exact node IDs and `keys` requests to owners of random keys, runs until all
/// complete (bounded), and checks every request reached exactly the right node.
private func checkRouting(_ simulation: Simulation, pairs: Int, keys: Int, seed: UInt64) -> RoutingReport {
    var random = SplitMix64(seed: seed)
    let nodes = simulation.liveNodeIDs
    simulation.deliveries.removeAll()
    var expected: [UInt64: NodeID] = [:]  // payload tag -> node that must receive it
    var report = RoutingReport()
    for index in 0..<(pairs + keys) {
        let source = nodes[Int(random.next() % UInt64(nodes.count))]
        let tag = UInt64(index)
        let destination: Destination
        if index < pairs {
            let target = nodes[Int(random.next() % UInt64(nodes.count))]
            destination = .node(target)
            expected[tag] = target
        } else {
            let key = NodeID.random(using: &random)
            destination = .ownerOf(key)
            expected[tag] = simulation.owner(of: key)!
        }
        var payload = WireWriter()
        payload.writeVarint(tag)
        try! simulation.request(from: source, payload: payload.bytes, to: destination)
        report.sent += 1
    }
    simulation.run(for: 20_000)
    var completed = 0
    var seen: Set<UInt64> = []
    for delivery in simulation.deliveries {
        switch delivery {
        case .message(let receiver, let message):
            var reader = WireReader(message.payload)
            guard let tag = try? reader.readVarint(), let want = expected[tag] else { continue }
            // A retried request may arrive twice (at-least-once); judge each request once.
            guard seen.insert(tag).inserted else { continue }
            if receiver == want {
                report.correct += 1
                report.totalHops += Int(message.hopCount)
            } else {
                report.wrongReceivers += 1
            }
        case .completed(_, _, let outcome):
            if case .response = outcome { completed += 1 }
        }
    }
    report.failures = report.sent - completed
    return report
}

/// Runs until every live node's neighbour lists are exactly right, checking every 5 virtual seconds.
private func stabilize(_ simulation: Simulation, limitMilliseconds: UInt64) -> Bool {
    var waited: UInt64 = 0
    while waited < limitMilliseconds {
        simulation.run(for: 5_000)
        waited += 5_000
        if simulation.nodesWithWrongNeighbours().isEmpty { return true }
    }
    return false
}

@Suite(.serialized) struct RingSimulationTests {
    static let nodeCount = 500

    private func verifyStableRing(_ simulation: Simulation, seed: UInt64) {
        let wrong = simulation.nodesWithWrongNeighbours()
        #expect(wrong.isEmpty, "\(wrong.count) nodes have wrong neighbour lists")
        let cap = Int(simulation.configuration.settings.maximumLinks)
        #expect(simulation.linkCounts().allSatisfy { $0 <= cap })
        let report = checkRouting(simulation, pairs: 300, keys: 300, seed: seed)
        #expect(report.correct == report.sent, "delivered \(report.correct) of \(report.sent)")
        #expect(report.wrongReceivers == 0)
        #expect(report.failures == 0)
        let bound = 0.5 * log2(Double(simulation.liveCount)) + 1
        #expect(report.meanHops <= bound, "mean hops \(report.meanHops) above \(bound)")
    }

    @Test func nodesJoiningOneByOneFormAnExactRing() {
        let simulation = Simulation(configuration: SimulationConfiguration(seed: 11))
        for _ in 0..<Self.nodeCount {
            simulation.addNode()
            simulation.run(for: 300)
        }
        #expect(stabilize(simulation, limitMilliseconds: 120_000))
        verifyStableRing(simulation, seed: 101)
    }

    @Test func nodesJoiningConcurrentlyFormAnExactRingAndRepairAfterCrashes() {
        let simulation = Simulation(configuration: SimulationConfiguration(seed: 12))
        simulation.addNode()
        simulation.run(for: 1_000)
        for _ in 1..<Self.nodeCount { simulation.addNode() }
        #expect(stabilize(simulation, limitMilliseconds: 180_000))
        verifyStableRing(simulation, seed: 102)

        var random = SplitMix64(seed: 13)
        var victims = simulation.liveNodeIDs
        for index in victims.indices.reversed() {
            victims.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
        for id in victims.prefix(Self.nodeCount / 5) { simulation.crash(id) }
        #expect(simulation.liveCount == Self.nodeCount - Self.nodeCount / 5)
        #expect(stabilize(simulation, limitMilliseconds: 180_000))
        simulation.run(for: 70_000)  // long links are refreshed after the ring heals
        verifyStableRing(simulation, seed: 103)
    }
}
