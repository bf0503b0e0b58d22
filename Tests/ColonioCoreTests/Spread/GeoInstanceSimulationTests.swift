import Testing
@testable import ColonioCore

/// Exact end-to-end checks of spread on simulated networks: every subscriber inside a circle receives a
/// message exactly once and nobody outside receives it.
@Suite struct GeoInstanceSimulationTests {
    static let spaces: [CoordinateSpace] = [.plane(width: 1000, height: 1000), .sphere(radius: 6_371_000),
                                            .torus(width: 1000, height: 1000)]

    /// Publishes one message and checks deliveries exactly; returns the expected receiver count.
    @discardableResult
    static func checkCircle(
        _ sim: inout GeoSimulation, publisher: NodeID, center: Position, radius: Double, subscribers: Set<NodeID>,
        options: SpreadOptions = SpreadOptions(), payload: [UInt8] = [1, 2, 3],
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> Int {
        sim.deliveries = [:]
        let id = sim.publish(from: publisher, payload: payload, center: center, radius: radius, options: options)
        let settled = sim.run()
        #expect(settled, sourceLocation: sourceLocation)
        var expected = Set<NodeID>()
        for node in sim.ids where subscribers.contains(node)
            && sim.space.contains(center: center, radius: radius, sim.positions[node]!)
            && (node != publisher || options.deliverToSelf) {
            expected.insert(node)
        }
        var received = Set<NodeID>()
        for (node, list) in sim.deliveries {
            let matching = list.filter { $0.id == id }
            #expect(matching.count == 1, "node delivered \(matching.count) times", sourceLocation: sourceLocation)
            #expect(matching.allSatisfy { $0.payload == payload && $0.sender == publisher }, sourceLocation: sourceLocation)
            received.insert(node)
        }
        #expect(received == expected, "missing \(expected.subtracting(received).count), extra \(received.subtracting(expected).count)",
                sourceLocation: sourceLocation)
        return expected.count
    }

    static func specialCircles(_ space: CoordinateSpace) -> [(Position, Double)] {
        switch space {
        case .plane(let width, let height):
            return [(Position(x: 0, y: 0), width * 0.15), (Position(x: width, y: height), width * 0.1),
                    (Position(x: width, y: 0), width * 0.3), (Position(x: 0, y: height / 2), width * 0.05)]
        case .sphere:
            return [(Position(latitude: 10, longitude: 180), 1_500_000),   // across the date line
                    (Position(latitude: -5, longitude: -179.5), 800_000),
                    (Position(latitude: 90, longitude: 0), 2_000_000),     // around the north pole
                    (Position(latitude: -88, longitude: 120), 1_000_000)]  // around the south pole
        case .torus(let width, let height):
            return [(Position(x: 1, y: 1), width * 0.12),                  // across both seams
                    (Position(x: width - 2, y: height / 2), width * 0.08),  // across the x seam
                    (Position(x: width / 3, y: height - 1), width * 0.1),  // across the y seam
                    (Position(x: width / 2, y: height / 2), width * 0.45)]
        }
    }

    static func randomRadius(_ space: CoordinateSpace, using random: inout SplitMix64) -> Double {
        switch space {
        case .plane(let width, _), .torus(let width, _): return Double.random(in: 0...(width * 0.25), using: &random)
        case .sphere(let radius): return Double.random(in: 0...(radius * 0.6), using: &random)
        }
    }

    /// `nodes` nodes at random positions (from `positionSeed`), introduced to their Delaunay neighbours
    /// and settled: every neighbourhood exact. Returns the generator to draw further positions from.
    static func settledNetwork(
        space: CoordinateSpace, nodes: Int, seed: UInt64, positionSeed: UInt64
    ) -> (GeoSimulation, SplitMix64) {
        var sim = GeoSimulation(space: space, seed: seed)
        var random = SplitMix64(seed: positionSeed)
        sim.bootstrap((0..<nodes).map { _ in randomPosition(in: space, using: &random) })
        let settled = sim.run()
        #expect(settled)
        #expect(sim.nodesWithWrongNeighbours().isEmpty)
        return (sim, random)
    }

    static func run(space: CoordinateSpace, nodes: Int, circles: Int, rounds: Int, seed: UInt64) {
        var (sim, random) = settledNetwork(space: space, nodes: nodes, seed: seed, positionSeed: seed &+ 100)
        var subscribers = Set<NodeID>()
        for node in sim.ids where Double.random(in: 0..<1, using: &random) < 0.7 {
            sim.instances[node]!.subscribe("t")
            subscribers.insert(node)
        }
        for round in 0...rounds {
            if round > 0 {
                // 10% of the nodes jump to new random places; neighbours settle again.
                for node in sim.ids.shuffled(using: &random).prefix(nodes / 10) {
                    sim.move(node, to: randomPosition(in: space, using: &random))
                }
                let settled = sim.run()
                #expect(settled)
                #expect(sim.nodesWithWrongNeighbours().isEmpty, "round \(round)")
            }
            var circlesToCheck = specialCircles(space)
            for _ in 0..<circles {
                circlesToCheck.append((randomPosition(in: space, using: &random), randomRadius(space, using: &random)))
            }
            var reached = 0
            for (index, (center, radius)) in circlesToCheck.enumerated() {
                // Alternate a publisher anywhere (mostly far outside) with one inside the circle.
                var publisher = sim.ids[Int.random(in: 0..<sim.ids.count, using: &random)]
                if index % 2 == 1, let inside = sim.ids.first(where: { space.contains(center: center, radius: radius, sim.positions[$0]!) }) {
                    publisher = inside
                }
                reached += checkCircle(&sim, publisher: publisher, center: center, radius: radius, subscribers: subscribers,
                                       options: SpreadOptions(deliverToSelf: index % 3 == 0))
            }
            #expect(reached > circlesToCheck.count)  // the circles are not trivially empty
        }
    }

    @Test(arguments: spaces)
    func everySubscriberInsideReceivesExactlyOnceWhileNodesMove(space: CoordinateSpace) {
        Self.run(space: space, nodes: 80, circles: 15, rounds: 2, seed: 1)
    }

    /// Larger networks: 400 nodes here (1,000 took most of CI's simulation phase); `colonio simulate`
    /// checks 1,000 and 10,000.
    @Test(arguments: spaces)
    func fourHundredNodes(space: CoordinateSpace) {
        Self.run(space: space, nodes: 400, circles: 10, rounds: 0, seed: 2)
    }

    /// Crashed nodes' neighbours learn of the crash one by one, with announcements circulating in between
    /// (those that have not learned yet still list the dead node, and nodes that hear of it second-hand
    /// may try to link to it, which the seed refuses): every neighbourhood must still end up exactly the
    /// Delaunay graph of the survivors, stay so after the departures are forgotten, and pub/sub be exact.
    @Test(arguments: spaces)
    func neighbourhoodsHealAfterCrashesLearnedAtDifferentTimes(space: CoordinateSpace) {
        var (sim, random) = Self.settledNetwork(space: space, nodes: 150, seed: 5, positionSeed: 6)
        var learners: [(node: NodeID, departed: NodeID)] = []
        for victim in Array(sim.ids.shuffled(using: &random).prefix(15)) {
            learners += sim.ids.filter { sim.instances[$0]!.linked.contains(victim) }.map { ($0, victim) }
            sim.crash(victim)
        }
        learners.removeAll { sim.instances[$0.node] == nil }  // crashed themselves
        learners.shuffle(using: &random)
        #expect(learners.count > 40)
        for (node, departed) in learners {
            sim.nodeLeft(departed, at: node)
            let settled = sim.run(limit: 1_000_000)
            #expect(settled)
            sim.tick(advancing: 200)
        }
        sim.tick(advancing: 30_000)  // one refresh round
        let refreshed = sim.run(limit: 1_000_000)
        #expect(refreshed)
        #expect(sim.nodesWithWrongNeighbours().isEmpty)
        // Long after the departures are forgotten, nobody brings the dead back.
        for _ in 0..<6 {
            sim.tick(advancing: 30_000)
            let settledAgain = sim.run(limit: 1_000_000)
            #expect(settledAgain)
        }
        #expect(sim.nodesWithWrongNeighbours().isEmpty)
        for node in sim.ids { sim.instances[node]!.subscribe("t") }
        for _ in 0..<10 {
            Self.checkCircle(&sim, publisher: sim.ids[Int.random(in: 0..<sim.ids.count, using: &random)],
                             center: randomPosition(in: space, using: &random), radius: Self.randomRadius(space, using: &random),
                             subscribers: Set(sim.ids))
        }
    }

    @Test(arguments: spaces)
    func newcomersFindTheirNeighboursFromOneRandomContact(space: CoordinateSpace) {
        var sim = GeoSimulation(space: space, seed: 3)
        var random = SplitMix64(seed: 4)
        for _ in 0..<40 {
            _ = sim.join(at: randomPosition(in: space, using: &random))
            let settled = sim.run()
            #expect(settled)
        }
        #expect(sim.nodesWithWrongNeighbours().isEmpty)
        for node in sim.ids { sim.instances[node]!.subscribe("t") }
        for _ in 0..<10 {
            Self.checkCircle(&sim, publisher: sim.ids[Int.random(in: 0..<40, using: &random)],
                             center: randomPosition(in: space, using: &random), radius: Self.randomRadius(space, using: &random),
                             subscribers: Set(sim.ids))
        }
    }

    /// A newcomer given one random contact in a settled network of 600 walks greedily to its place
    /// instead of asking every node on the way: it ends with exactly its Delaunay neighbours after a
    /// few dozen announcements. (Before the walk a join into 1,000 nodes cost 180-2,400 announcements,
    /// the newcomer contacting up to 790 of them.)
    @Test(arguments: spaces)
    func aNewcomerWalksToItsPlaceWithFewAnnouncements(space: CoordinateSpace) {
        var (sim, random) = Self.settledNetwork(space: space, nodes: 600, seed: 11, positionSeed: 12)
        var costs: [Int] = []
        for _ in 0..<6 {
            let before = sim.announcementsSent
            sim.announcementsBySender = [:]
            let newcomer = sim.join(at: randomPosition(in: space, using: &random))
            let settled = sim.run()
            #expect(settled)
            #expect(sim.nodesWithWrongNeighbours().isEmpty)
            #expect(sim.announcementsBySender[newcomer, default: 0] < 80)
            costs.append(sim.announcementsSent - before)
        }
        #expect(costs.allSatisfy { $0 < 250 }, "\(costs)")
    }
}
