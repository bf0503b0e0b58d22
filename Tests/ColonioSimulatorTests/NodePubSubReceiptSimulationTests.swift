import ColonioCore
import Testing
@testable import ColonioSimulator

/// Pub/sub with `requireReceiver` between whole nodes (``NodeController``s on simulated links and
/// seed): the outcome is exact, the "no receiver" answer comes back along the message's path in a few
/// round trips instead of after the 10 s receipt timeout, and a node that has just joined reaches the
/// subscribers inside its circle.
@Suite struct NodePubSubReceiptSimulationTests {
    private static let space = CoordinateSpace.plane(width: 1_000, height: 1_000)

    /// A settled network of `count` nodes at random positions; `subscribes(index)` chooses who takes "t".
    private static func network(
        seed: UInt64, count: Int, subscribes: (Int) -> Bool
    ) -> (simulation: NodeSimulation, positions: [NodeID: Position], subscribers: Set<NodeID>, random: SplitMix64) {
        var configuration = SimulationConfiguration(seed: seed)
        configuration.space = space
        let simulation = NodeSimulation(configuration: configuration)
        var random = SplitMix64(seed: seed + 1)
        var positions: [NodeID: Position] = [:]
        var subscribers: Set<NodeID> = []
        for index in 0..<count {
            let position = Position(x: Double(random.next() % 1_000), y: Double(random.next() % 1_000))
            let id = simulation.addNode(position: position, topics: subscribes(index) ? ["t"] : [])
            positions[id] = position
            if subscribes(index) { subscribers.insert(id) }
            simulation.run(for: 50)
        }
        simulation.run(for: 30_000)
        return (simulation, positions, subscribers, random)
    }

    /// Publishes with `requireReceiver` and runs past the receipt timeout; checks that exactly
    /// `expected` received the message, once each, and that exactly one outcome came, the right one;
    /// returns how long the outcome took (virtual milliseconds).
    private static func publishAndCheck(
        _ simulation: NodeSimulation, from publisher: NodeID, center: Position, radius: Double, expected: Set<NodeID>,
        payload: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> UInt64? {
        simulation.spreadArrivals.removeAll()
        simulation.publishCompletions.removeAll()
        let started = simulation.now
        let id = try simulation.publish(
            from: publisher, topic: "t", payload: payload, center: center, radius: radius,
            options: SpreadOptions(requireReceiver: true))
        simulation.run(for: 12_000)
        let received = simulation.spreadArrivals.filter { $0.delivery.payload == payload }.map(\.receiver)
        #expect(Set(received) == expected, sourceLocation: sourceLocation)
        #expect(received.count == Set(received).count, "a subscriber received twice", sourceLocation: sourceLocation)
        #expect(simulation.publishCompletions.map(\.id) == [id], sourceLocation: sourceLocation)
        guard let completion = simulation.publishCompletions.first else { return nil }
        #expect(completion.error == (expected.isEmpty ? SpreadError.noReceiver : nil), sourceLocation: sourceLocation)
        return completion.time.milliseconds(since: started)
    }

    /// Random circles on a settled network where one node in five subscribes: many circles hold nodes
    /// but no subscriber. Every outcome is exact and comes in well under a second (links take 5-30 ms).
    @Test func noReceiverIsAnsweredFastAndEveryOutcomeIsExact() throws {
        let (simulation, positions, subscribers, random) = Self.network(seed: 31, count: 50) { $0 % 5 == 0 }
        var rng = random
        let ids = simulation.liveNodeIDs
        var emptyCirclesWithNodes = 0
        var circlesWithSubscribers = 0
        for round in 0..<24 {
            let center = Position(x: Double(rng.next() % 1_000), y: Double(rng.next() % 1_000))
            let radius = Double(40 + rng.next() % 220)
            let publisher = ids[Int(rng.next() % UInt64(ids.count))]
            let inside = Set(positions.filter { Self.space.distance($0.value, center) <= radius }.keys)
            let expected = inside.intersection(subscribers).subtracting([publisher])
            let elapsed = try Self.publishAndCheck(
                simulation, from: publisher, center: center, radius: radius, expected: expected,
                payload: [0x52, UInt8(round)])
            #expect(elapsed.map { $0 < 1_000 } == true, "round \(round): the outcome took \(elapsed.map(String.init) ?? "forever") ms")
            if expected.isEmpty && !inside.subtracting([publisher]).isEmpty { emptyCirclesWithNodes += 1 }
            if !expected.isEmpty { circlesWithSubscribers += 1 }
        }
        #expect(emptyCirclesWithNodes >= 3 && circlesWithSubscribers >= 3)
    }

    /// A node publishes at once after signing in (and a few link delays later), before it has links or
    /// geo neighbours: the publication waits for its place and then reaches every subscriber inside, from
    /// inside the circle and from far outside it.
    @Test func aPublicationRightAfterJoiningReachesTheSubscribersInside() throws {
        let (simulation, positions, subscribers, _) = Self.network(seed: 41, count: 30) { _ in true }
        let targets = positions.keys.sorted()
        for (round, delay) in ([0, 0, 10, 30, 100, 300] as [UInt64]).enumerated() {
            let subscriber = targets[round * 4]
            let center = positions[subscriber]!
            // Even rounds: the newcomer sits inside the circle; odd rounds: in the far corner.
            let newcomerPosition = round % 2 == 0
                ? Position(x: center.x < 500 ? center.x + 3 : center.x - 3, y: center.y)
                : Position(x: center.x < 500 ? 999 : 0, y: center.y < 500 ? 999 : 0)
            let newcomer = simulation.addNode(position: newcomerPosition)
            simulation.run(for: delay)
            let expected = Set(positions.filter { Self.space.distance($0.value, center) <= 20 }.keys).intersection(subscribers)
            #expect(expected.contains(subscriber))
            _ = try Self.publishAndCheck(
                simulation, from: newcomer, center: center, radius: 20, expected: expected, payload: [0x4A, UInt8(round)])
            simulation.run(for: 5_000)
        }
    }
}
