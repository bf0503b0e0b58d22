import ColonioCore
import Testing
@testable import ColonioSimulator

/// What a node says about itself (`status().hasJoined`, and the link entries `links()` lists) stays true
/// through joins, graceful leaves and crashes, checked every 10 ms of virtual time on whole nodes.
@Suite struct NodeJoinStatusSimulationTests {
    /// The checks made at every step, and what they found.
    private final class Checker {
        let simulation: NodeSimulation
        /// Since when each node's successors and predecessors have been exact and linked.
        var exactSince: [NodeID: MonotonicTime] = [:]
        /// Nodes that left gracefully, and when.
        var left: [NodeID: MonotonicTime] = [:]
        var violations: [String] = []
        /// The longest time a node had exact ring lists without saying it had joined.
        var longestUnacknowledged: UInt64 = 0
        /// How long one link hop may take before a node knows what its neighbours know.
        static let graceMilliseconds: UInt64 = 200

        init(_ simulation: NodeSimulation) { self.simulation = simulation }

        func run(for milliseconds: UInt64) {
            for _ in 0..<(milliseconds / 10) {
                simulation.run(for: 10)
                check()
            }
        }

        private func check() {
            let now = simulation.now
            let wrong = Set(simulation.nodesWithWrongNeighbours())
            let live = simulation.liveNodeIDs
            for id in live {
                guard let ring = simulation.controller(of: id)?.session?.machine.ring else { continue }
                // Joined means linked to the ring, unless the node knows of no other node (it is alone).
                if ring.hasJoined && ring.linkCount == 0 && !(ring.successors.isEmpty && ring.predecessors.isEmpty) {
                    violations.append("\(now.milliseconds(since: .zero)) ms: \(id) says it joined without a link")
                }
                if wrong.contains(id) {
                    exactSince[id] = nil
                } else {
                    let since = exactSince[id] ?? now
                    exactSince[id] = since
                    if !ring.hasJoined {
                        longestUnacknowledged = max(longestUnacknowledged, now.milliseconds(since: since))
                        if now.milliseconds(since: since) > Self.graceMilliseconds {
                            violations.append("\(now.milliseconds(since: .zero)) ms: \(id) has its place but says it has not joined")
                        }
                    }
                }
                // A node that left said so: nobody keeps (or starts) a link to it afterwards.
                for (gone, at) in left where now.milliseconds(since: at) > Self.graceMilliseconds {
                    if let link = simulation.controller(of: id)?.session?.links[gone] {
                        violations.append("\(now.milliseconds(since: .zero)) ms: \(id) lists a link to \(gone), which left (\(link.phase))")
                    }
                }
            }
            for id in exactSince.keys where !live.contains(id) { exactSince[id] = nil }
        }
    }

    @Test func hasJoinedAndLinksTellTheTruthThroughJoinsLeavesAndCrashes() {
        var configuration = SimulationConfiguration(seed: 23)
        configuration.settings.stabilizeIntervalMilliseconds = 1_000
        let simulation = NodeSimulation(configuration: configuration)
        let checker = Checker(simulation)
        // Joins 50 ms apart: most join while the ring is still repairing around the previous ones.
        for _ in 0..<30 {
            simulation.addNode()
            checker.run(for: 50)
        }
        checker.run(for: 15_000)
        #expect(simulation.nodesWithWrongNeighbours().isEmpty)
        var random = SplitMix64(seed: 24)
        for _ in 0..<3 {
            let ids = simulation.liveNodeIDs
            let leaving = ids[Int(random.next() % UInt64(ids.count))]
            simulation.leave(leaving)
            checker.left[leaving] = simulation.now
            checker.run(for: 1_000)
        }
        for _ in 0..<3 {
            let ids = simulation.liveNodeIDs
            simulation.crash(ids[Int(random.next() % UInt64(ids.count))])
            checker.run(for: 1_000)
        }
        for _ in 0..<5 {
            simulation.addNode()
            checker.run(for: 100)
        }
        checker.run(for: 20_000)
        #expect(simulation.nodesWithWrongNeighbours().isEmpty)
        #expect(simulation.liveNodeIDs.allSatisfy { simulation.controller(of: $0)?.session?.machine.ring?.hasJoined == true })
        // Crashed nodes are forgotten too, once the failure detector and the seed have told.
        for id in simulation.liveNodeIDs {
            let linked = Set(simulation.controller(of: id)?.session?.links.keys.map { $0 } ?? [])
            #expect(linked.isSubset(of: Set(simulation.liveNodeIDs)), "\(id) keeps links to departed nodes")
        }
        #expect(checker.violations.isEmpty, "\(checker.violations.count) violations, first: \(checker.violations.prefix(5))")
        #expect(checker.longestUnacknowledged <= Checker.graceMilliseconds)
    }

    /// The last node standing is alone on the ring, which is its place, whether the others left or crashed.
    @Test func theLastNodeStandingHasJoined() {
        let simulation = NodeSimulation(configuration: SimulationConfiguration(seed: 25))
        let first = simulation.addNode()
        simulation.run(for: 10)
        #expect(simulation.controller(of: first)?.session?.machine.ring?.hasJoined == true)
        let second = simulation.addNode()
        simulation.run(for: 2_000)
        #expect(simulation.controller(of: second)?.session?.machine.ring?.hasJoined == true)
        simulation.leave(second)
        simulation.run(for: 500)
        #expect(simulation.controller(of: first)?.session?.machine.ring?.hasJoined == true)
        #expect(simulation.controller(of: first)?.session?.links.isEmpty == true)

        let third = simulation.addNode()
        simulation.run(for: 2_000)
        #expect(simulation.controller(of: third)?.session?.machine.ring?.hasJoined == true)
        simulation.crash(first)
        // The failure detector declares it dead: the node knows nobody else, so it is alone.
        simulation.run(for: simulation.configuration.failureDetectionMilliseconds + 1_000)
        let ring = simulation.controller(of: third)?.session?.machine.ring
        #expect(ring?.linkCount == 0 && ring?.successors.isEmpty == true)
        #expect(ring?.hasJoined == true)
    }
}
