import Colonio
import ColonioCore
import ColonioSeed
import Testing

/// Location-based pub/sub between real nodes over WebRTC on loopback.
@Suite(.serialized) struct NodePubSubTests {
    /// Records which payloads each node (by index) received.
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
