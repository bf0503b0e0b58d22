import Foundation
import Colonio
import ColonioCore
import ColonioSeed
import Testing

/// Location-based pub/sub between real nodes over WebRTC on loopback.
@Suite(.serialized) struct NodePubSubTests {
    /// Records which payloads each node (by index) received.
    /// Publishes `[tag, round]` from `nodes[publisher]` until one round reaches every node of `inside`
    /// (neighbourhoods settle after joining; at most 40 rounds, `pause` apart), then, after a quiet
    /// period for late duplicates and strays, expects that round exactly once inside and nowhere else.
    static func publishUntilSettled(
        _ nodes: [ColonioNode], from publisher: Int, center: Position, radius: Double, inside: Set<Int>, tag: UInt8,
        pause: Duration, inbox: Inbox, _ label: String
    ) async throws {
        var settled: [UInt8]?
        for round in 0..<40 {
            let payload: [UInt8] = [tag, UInt8(round)]
            try await nodes[publisher].publish(
                payload, topic: "t", center: center, radius: radius, options: SpreadOptions(deliverToSelf: true))
            try await Task.sleep(for: pause)
            var all = true
            for index in inside where await inbox.count(of: payload, at: index) != 1 { all = false }
            if all {
                settled = payload
                break
            }
        }
        let payload = try #require(settled, "\(label): never reached every node inside \(inside.sorted())")
        try await Task.sleep(for: .milliseconds(300))  // late duplicates or strays would show up now
        for index in nodes.indices {
            #expect(await inbox.count(of: payload, at: index) == (inside.contains(index) ? 1 : 0),
                    "\(label): node \(index), inside: \(inside.contains(index))")
        }
    }

    actor Inbox {
        private(set) var received: [Int: [[UInt8]]] = [:]
        func record(_ payload: [UInt8], at index: Int) { received[index, default: []].append(payload) }
        func count(of payload: [UInt8], at index: Int) -> Int { received[index, default: []].filter { $0 == payload }.count }
    }

    static let positions = [
        Position(x: 100, y: 100), Position(x: 300, y: 200), Position(x: 500, y: 500), Position(x: 550, y: 450),
        Position(x: 700, y: 800), Position(x: 900, y: 100), Position(x: 450, y: 600), Position(x: 200, y: 900),
    ]
    static let center = Position(x: 500, y: 500)
    static let radius = 150.0
    /// Nodes 2, 3 and 6 lie inside the circle (distances 0, 71 and 112); the rest are 250 or more away.
    static let inside: Set<Int> = [2, 3, 6]

    @Test func everySubscriberInsideTheCircleReceivesExactlyOnceAndNoOneOutside() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let nodes = try await NodeEndToEndTests.startNodes(Self.positions.count, seed: seed)
        let inbox = Inbox()
        var readers: [Task<Void, Never>] = []
        for (index, node) in nodes.enumerated() {
            try await node.setPosition(Self.positions[index])
            let stream = await node.subscribe(topic: "map")
            readers.append(Task {
                for await delivery in stream { await inbox.record(delivery.payload, at: index) }
            })
        }
        // Publish from node 0 (far outside) until the geographic neighbourhoods have settled and one
        // round reaches every node inside; bounded to 40 rounds.
        var settledRound: [UInt8]?
        for round in 0..<40 {
            let payload: [UInt8] = [0xAB, UInt8(round)]
            try await nodes[0].publish(payload, topic: "map", center: Self.center, radius: Self.radius)
            try await Task.sleep(for: .milliseconds(250))
            var allInside = true
            for index in Self.inside where await inbox.count(of: payload, at: index) != 1 { allInside = false }
            if allInside {
                settledRound = payload
                break
            }
        }
        let payload = try #require(settledRound, "no round reached every node inside the circle")
        try await Task.sleep(for: .milliseconds(500))  // late duplicates would show up now
        for index in Self.inside {
            #expect(await inbox.count(of: payload, at: index) == 1, "node \(index) inside")
        }
        let received = await inbox.received
        for index in 0..<nodes.count where !Self.inside.contains(index) {
            #expect(received[index, default: []].isEmpty, "node \(index) outside received \(received[index, default: []])")
        }
        // A publish inside the circle from a node inside also reaches the others inside, exactly once.
        let fromInside: [UInt8] = [0xCD]
        try await nodes[2].publish(fromInside, topic: "map", center: Self.center, radius: Self.radius)
        try await Task.sleep(for: .milliseconds(500))
        #expect(await inbox.count(of: fromInside, at: 3) == 1)
        #expect(await inbox.count(of: fromInside, at: 6) == 1)
        #expect(await inbox.count(of: fromInside, at: 2) == 0)  // not delivered to the publisher by default
        // Requiring a receiver where there is none fails with a typed error.
        await #expect(throws: ColonioError.noReceiver) {
            try await nodes[0].publish(
                [1], topic: "map", center: Position(x: 990, y: 990), radius: 5,
                options: SpreadOptions(requireReceiver: true))
        }
        await #expect(throws: ColonioError.self) { try await nodes[0].setPosition(Position(x: 2000, y: 5)) }
        for reader in readers { reader.cancel() }
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }
}

/// Pub/sub between 16 real nodes over WebRTC in each coordinate space: random positions, circles that
/// include seams (the date line and a pole on the sphere, both torus seams), exact delivery.
@Suite(.serialized) struct NodePubSubSpacesTests {
    struct Circle {
        var center: Position
        var radius: Double
    }

    static func configuration(space: CoordinateSpace) -> SeedConfiguration {
        var configuration = NodeEndToEndTests.seedConfiguration()
        for index in configuration.networks.indices { configuration.networks[index].space = space }
        return configuration
    }

    @Test(arguments: ["plane", "sphere", "torus"])
    func sixteenNodesEverySubscriberInsideExactlyOnce(spaceName: String) async throws {
        var generator = SplitMix64(seed: 2026)
        let space: CoordinateSpace
        var positions: [Position] = []
        let circles: [Circle]
        switch spaceName {
        case "sphere":
            space = .sphere(radius: 6_371_000)
            for _ in 0..<16 {
                // Uniform on the sphere.
                let latitude = asin(Double.random(in: -1...1, using: &generator)) * 180 / .pi
                positions.append(Position(latitude: latitude, longitude: Double.random(in: -180..<180, using: &generator)))
            }
            positions[0] = Position(latitude: 10, longitude: 179)
            positions[1] = Position(latitude: 12, longitude: -179)
            positions[2] = Position(latitude: 88, longitude: 40)
            positions[3] = Position(latitude: 87, longitude: -140)
            circles = [
                Circle(center: Position(latitude: 11, longitude: 180), radius: 400_000),   // across the date line
                Circle(center: Position(latitude: 90, longitude: 0), radius: 500_000),     // around the north pole
                Circle(center: positions[9], radius: 3_000_000),
            ]
        case "torus":
            space = .torus(width: 1000, height: 1000)
            for _ in 0..<16 {
                positions.append(Position(x: Double.random(in: 0..<1000, using: &generator),
                                          y: Double.random(in: 0..<1000, using: &generator)))
            }
            positions[0] = Position(x: 990, y: 500)
            positions[1] = Position(x: 10, y: 505)
            positions[2] = Position(x: 3, y: 995)
            positions[3] = Position(x: 996, y: 2)
            circles = [
                Circle(center: Position(x: 0, y: 500), radius: 40),   // across the x seam
                Circle(center: Position(x: 0, y: 0), radius: 30),     // across both seams at the corner
                Circle(center: positions[9], radius: 250),
            ]
        default:
            space = .plane(width: 1000, height: 1000)
            for _ in 0..<16 {
                positions.append(Position(x: Double.random(in: 0..<1000, using: &generator),
                                          y: Double.random(in: 0..<1000, using: &generator)))
            }
            positions[0] = Position(x: 2, y: 3)
            circles = [
                Circle(center: Position(x: 0, y: 0), radius: 60),    // a plane corner
                Circle(center: positions[9], radius: 250),
                Circle(center: Position(x: 500, y: 500), radius: 400),
            ]
        }
        let seed = try await EmbeddedSeed.start(
            configuration: Self.configuration(space: space), logger: NodeEndToEndTests.logger)
        let nodes = try await NodeEndToEndTests.startNodes(16, seed: seed)
        let inbox = NodePubSubTests.Inbox()
        var readers: [Task<Void, Never>] = []
        for (index, node) in nodes.enumerated() {
            try await node.setPosition(positions[index])
            let stream = await node.subscribe(topic: "t")
            readers.append(Task { for await delivery in stream { await inbox.record(delivery.payload, at: index) } })
        }
        for (circleIndex, circle) in circles.enumerated() {
            let inside = Set(positions.indices.filter { space.contains(center: circle.center, radius: circle.radius, positions[$0]) })
            #expect(!inside.isEmpty, "circle \(circleIndex) holds a node")
            // The publisher is a node far from the circle when there is one, else any node.
            let publisher = positions.indices.first { !inside.contains($0) && $0 > 3 } ?? 0
            try await NodePubSubTests.publishUntilSettled(
                nodes, from: publisher, center: circle.center, radius: circle.radius, inside: inside,
                tag: UInt8(circleIndex), pause: .milliseconds(250), inbox: inbox, "\(spaceName) circle \(circleIndex)")
        }
        for reader in readers { reader.cancel() }
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }
}
