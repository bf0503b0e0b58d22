import ColonioCore
import ColonioSimulator
import Foundation

/// `colonio bench churn --simulated`: the same crash on whole simulated nodes (``NodeSimulation``, every
/// node running the real node's logic with its own failure detector) at sizes real processes cannot
/// reach on one machine. Nodes join, the ring forms, a share crashes silently (links stay open and swallow
/// frames, as a SIGKILLed process's do) and the ring lists are checked every 250 virtual ms.
enum ChurnSimulation {
    static func figures(nodes: Int, kill: Int, lossRate: Double, seed: UInt64) -> String {
        let wallStart = ContinuousClock.now
        let simulation = NodeSimulation(
            configuration: SimulationConfiguration(seed: seed, lossRate: lossRate, tickIntervalMilliseconds: 100))
        for _ in 0..<nodes {
            simulation.addNode()
            simulation.run(for: 20)
        }
        let formed = exactAfter(simulation, limit: 300_000, step: 1_000)
        simulation.run(for: 5_000)
        var random = SplitMix64(seed: seed ^ 0xC4A5)
        var victims = simulation.liveNodeIDs
        victims.shuffle(using: &random)
        let before = simulation.failureDetectorCounts()
        for id in victims.prefix(kill) { simulation.crashSilently(id) }
        // The first moment any survivor declared a dead peer dead, at the same 250 ms resolution.
        var firstDetection: UInt64?
        var repaired: UInt64?
        var waited: UInt64 = 0
        while waited < 60_000, repaired == nil {
            simulation.run(for: 250)
            waited += 250
            if firstDetection == nil, simulation.failureDetectorCounts().declaredDead > before.declaredDead {
                firstDetection = waited
            }
            if simulation.nodesWithWrongNeighbours().isEmpty { repaired = waited }
        }
        let after = simulation.failureDetectorCounts()
        let wall = Double((ContinuousClock.now - wallStart) / .milliseconds(1)) / 1000
        func number(_ value: UInt64?) -> String { value.map(String.init) ?? "null" }
        return "{\"nodes\":\(nodes),\"killed\":\(kill),\"loss_rate\":\(lossRate),\"seed\":\(seed),"
            + "\"formation_virtual_ms\":\(number(formed)),"
            + "\"detect_first_virtual_ms\":\(number(firstDetection)),\"ring_exact_virtual_ms\":\(number(repaired)),"
            + "\"wrong_after_limit\":\(repaired == nil ? simulation.nodesWithWrongNeighbours().count : 0),"
            + "\"declared_dead\":\(after.declaredDead - before.declaredDead),\"suspicions\":\(after.suspicions - before.suspicions),"
            + "\"refuted_suspicions\":\(after.refuted - before.refuted),\"wall_seconds\":\(String(format: "%.1f", wall))}"
    }

    /// Runs in steps until every live node's lists are exact; the virtual time it took, or `nil`.
    private static func exactAfter(_ simulation: NodeSimulation, limit: UInt64, step: UInt64) -> UInt64? {
        var waited: UInt64 = 0
        while waited < limit {
            simulation.run(for: step)
            waited += step
            if simulation.nodesWithWrongNeighbours().isEmpty { return waited }
        }
        return nil
    }
}
