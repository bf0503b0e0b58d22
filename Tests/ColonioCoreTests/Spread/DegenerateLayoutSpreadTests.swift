import ColonioSimulator
import Testing
@testable import ColonioCore

/// Pub/sub stays exact on the layouts of issue #17: every subscriber inside a circle receives a message
/// exactly once and nobody outside does, when nodes share a point (2, 3, 50, all), sit at a pole at
/// different longitudes, on both sides of the date line, on the torus seams, on a line or a circle, alone,
/// and when a node moves onto another's point and off again.
@Suite struct DegenerateLayoutSpreadTests {
    typealias Checks = GeoInstanceSimulationTests

    /// Nodes whose neighbours are not their links in the Delaunay graph of sites among all nodes
    /// (``SiteLinks``; with cocircular points, a node may keep both diagonals: only missing neighbours
    /// count then).
    static func wrongNeighbours(_ sim: GeoSimulation, cocircular: Bool) -> Int {
        let graph = SiteLinks.graph(ids: sim.ids, positions: sim.ids.map { sim.positions[$0]! }, in: sim.space)
        var wrong = 0
        for (index, node) in sim.ids.enumerated() {
            let expected = Set(graph[index].map { sim.ids[$0] })
            let actual = Set(sim.instances[node]!.neighbours.keys)
            if cocircular ? !actual.isSuperset(of: expected) : actual != expected { wrong += 1 }
        }
        return wrong
    }

    /// A circle of this size around a shared point holds that point and, almost surely, no other node.
    static func smallRadius(_ space: CoordinateSpace) -> Double {
        if case .sphere = space { return 10_000 }
        return 10
    }

    /// A circle of this radius around any point holds every node of the space.
    static func wholeSpaceRadius(_ space: CoordinateSpace) -> Double {
        switch space {
        case .plane(let width, let height): return width + height
        case .torus(let width, let height): return (width + height) / 2
        case .sphere(let radius): return radius * Double.pi
        }
    }

    /// Circles at every shared point (radius 0 and small), one holding everyone, and random ones, each
    /// published once from a node on the point or elsewhere.
    static func checkCircles(_ sim: inout GeoSimulation, random: inout SplitMix64, sourceLocation: SourceLocation = #_sourceLocation) {
        let space = sim.space
        var circles: [(center: Position, radius: Double, publisher: NodeID)] = []
        var sharedPoints: [Position] = []
        for node in sim.ids {
            let position = sim.positions[node]!
            let onIt = sim.ids.filter { samePoint(sim.positions[$0]!, position, in: space) }
            guard onIt.count > 1, !sharedPoints.contains(where: { samePoint($0, position, in: space) }) else { continue }
            sharedPoints.append(position)
            let far = sim.ids.max { space.distance(sim.positions[$0]!, position) < space.distance(sim.positions[$1]!, position) }!
            circles.append((position, 0, far))
            circles.append((position, smallRadius(space), onIt.last!))
            circles.append((position, smallRadius(space), far))
        }
        let anyone = sim.ids[Int(random.next() % UInt64(sim.ids.count))]
        circles.append((sim.positions[anyone]!, wholeSpaceRadius(space), anyone))
        for _ in 0..<6 {
            circles.append((randomPosition(in: space, using: &random), Checks.randomRadius(space, using: &random),
                            sim.ids[Int(random.next() % UInt64(sim.ids.count))]))
        }
        for (index, circle) in circles.enumerated() {
            Checks.checkCircle(&sim, publisher: circle.publisher, center: circle.center, radius: circle.radius,
                               subscribers: Set(sim.ids), options: SpreadOptions(deliverToSelf: index % 2 == 0),
                               sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: DegenerateDelaunayTests.spaces)
    func everyLayoutDeliversExactly(space: CoordinateSpace) {
        for (number, layout) in DegenerateLayout.all(in: space).enumerated() {
            var sim = GeoSimulation(space: space, seed: UInt64(number) + 1)
            var random = SplitMix64(seed: UInt64(number) + 100)
            // Each node joins from one random contact and walks to its place, as in a real network; the
            // larger layouts start from their Delaunay neighbours (joining one by one is slow to simulate).
            if layout.positions.count > 45 {
                sim.bootstrap(layout.positions)
                let settled = sim.run()
                #expect(settled, "\(layout)")
            } else {
                for position in layout.positions {
                    _ = sim.join(at: position)
                    let settled = sim.run()
                    #expect(settled, "\(layout)")
                }
            }
            if !layout.localViewsMayMissDiagonals {
                #expect(Self.wrongNeighbours(sim, cocircular: layout.cocircular) == 0, "\(layout)")
            }
            for node in sim.ids { sim.instances[node]!.subscribe("t") }
            Self.checkCircles(&sim, random: &random)
        }
    }

    /// A node moves onto another node's point, then off it again; neighbourhoods and deliveries follow.
    @Test(arguments: DegenerateDelaunayTests.spaces)
    func aNodeMovesOntoAnotherNodesPointAndOffAgain(space: CoordinateSpace) {
        var (sim, random) = Checks.settledNetwork(space: space, nodes: 40, seed: 31, positionSeed: 32)
        for node in sim.ids { sim.instances[node]!.subscribe("t") }
        let mover = sim.ids[3]
        for target in [sim.ids[20], sim.ids[21]] {
            sim.move(mover, to: sim.positions[target]!)
            let settled = sim.run()
            #expect(settled)
            #expect(sim.nodesWithWrongNeighbours().isEmpty)
            Self.checkCircles(&sim, random: &random)
            sim.move(mover, to: randomPosition(in: space, using: &random))
            let settledAgain = sim.run()
            #expect(settledAgain)
            #expect(sim.nodesWithWrongNeighbours().isEmpty)
            Self.checkCircles(&sim, random: &random)
        }
    }
}
