import ColonioSimulator
import Testing
@testable import ColonioCore

/// Pub/sub on 400 nodes with a share on shared points, each space: CPU-heavy, so with the other
/// simulations (`make test` runs them in parallel; `make check` leaves them out). The same layout at
/// 1,000 nodes (`colonio simulate --nodes 1000 --shared-positions 10%`) took 9 of CI's 20 minutes here.
@Suite struct DegenerateLayoutSimulationTests {
    typealias Checks = GeoInstanceSimulationTests

    /// 400 nodes, a quarter of them on shared points (a crowd of 50 and small groups at the poles, the
    /// date line, the seams, the corners and random places).
    @Test(arguments: DegenerateDelaunayTests.spaces)
    func fourHundredNodesWithAQuarterOnSharedPoints(space: CoordinateSpace) {
        var random = SplitMix64(seed: 41)
        var sim = GeoSimulation(space: space, seed: 42)
        sim.bootstrap(SharedPositions(count: 400, sharedFraction: 0.25, in: space, using: &random).positions)
        let settled = sim.run()
        #expect(settled)
        #expect(sim.nodesWithWrongNeighbours().isEmpty)
        var subscribers = Set<NodeID>()
        for node in sim.ids where random.next() % 10 < 7 {
            sim.instances[node]!.subscribe("t")
            subscribers.insert(node)
        }
        var circles = Checks.specialCircles(space)
        // Each shared point, tightly and with some room, from a random node.
        var sharedPoints: [Position] = []
        for node in sim.ids {
            let position = sim.positions[node]!
            guard sim.ids.contains(where: { $0 != node && samePoint(sim.positions[$0]!, position, in: space) }),
                  !sharedPoints.contains(where: { samePoint($0, position, in: space) }) else { continue }
            sharedPoints.append(position)
            circles += [(position, 0), (position, DegenerateLayoutSpreadTests.smallRadius(space) * 20)]
        }
        #expect(sharedPoints.count >= 10)
        for _ in 0..<6 { circles.append((randomPosition(in: space, using: &random), Checks.randomRadius(space, using: &random))) }
        var reached = 0
        for (center, radius) in circles {
            reached += Checks.checkCircle(&sim, publisher: sim.ids[Int(random.next() % UInt64(sim.ids.count))], center: center, radius: radius,
                                          subscribers: subscribers, options: SpreadOptions(deliverToSelf: true))
        }
        #expect(reached > 40)
    }
}
