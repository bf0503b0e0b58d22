import Foundation
@testable import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Testing

/// Issue #17 with real nodes (the native node over in-memory links, the seed over WebSocket): several
/// nodes on one point — three on one point and a corner pair on a plane, three at the north pole at
/// different longitudes and a pair on both sides of the date line on a sphere, a torus seam and corner
/// written as 0 and as the period — and a node moving onto a shared point and off again. Every
/// subscriber inside a circle receives each publication exactly once and nobody outside does.
@Suite(.serialized) struct NodePubSubSharedPointsTests {
    struct Layout {
        var space: CoordinateSpace
        var positions: [Position]
        /// Indices of nodes on one point, one list per shared point.
        var shared: [[Int]]
        /// A radius that holds a shared point and none of the scattered nodes, and one that holds everyone.
        var small: Double
        var everyone: Double
    }

    static func layout(_ name: String) -> Layout {
        switch name {
        case "sphere":
            let scattered = [(20.0, 40.0), (-30, -100), (50, 150), (-60, 20), (5, -60)].map {
                Position(latitude: $0.0, longitude: $0.1)
            }
            // Three at the north pole at longitudes 0, 120 and 33 (the case); the date line as 180 and -180.
            let pole = [0.0, 120, 33].map { Position(latitude: 90, longitude: $0) }
            let dateLine = [Position(latitude: 10, longitude: 180), Position(latitude: 10, longitude: -180)]
            return Layout(space: .sphere(radius: 6_371_000), positions: scattered + pole + dateLine,
                          shared: [[5, 6, 7], [8, 9]], small: 100_000, everyone: 6_371_000 * Double.pi)
        case "torus":
            let scattered = [(300.0, 700.0), (600, 200), (800, 800), (250, 150), (550, 550)].map { Position(x: $0.0, y: $0.1) }
            // A seam written as x = 0 and x = 1000; a corner written four ways.
            let seam = [Position(x: 0, y: 400), Position(x: 1000, y: 400), Position(x: 0, y: 400)]
            let corner = [Position(x: 0, y: 0), Position(x: 1000, y: 1000)]
            return Layout(space: .torus(width: 1000, height: 1000), positions: scattered + seam + corner,
                          shared: [[5, 6, 7], [8, 9]], small: 20, everyone: 1000)
        default:
            let scattered = [(300.0, 700.0), (600, 200), (800, 800), (250, 150), (850, 450)].map { Position(x: $0.0, y: $0.1) }
            let crowd = Array(repeating: Position(x: 500, y: 500), count: 3)
            let corner = Array(repeating: Position(x: 0, y: 0), count: 2)
            return Layout(space: .plane(width: 1000, height: 1000), positions: scattered + crowd + corner,
                          shared: [[5, 6, 7], [8, 9]], small: 20, everyone: 1500)
        }
    }

    /// Publishes from `publisher` until one round reaches every node inside exactly once (the overlay
    /// settles meanwhile, at most 40 rounds), then checks that round: once inside, never outside.
    static func check(
        _ nodes: [ColonioNode], positions: [Position], space: CoordinateSpace, inbox: NodePubSubTests.Inbox,
        publisher: Int, center: Position, radius: Double, tag: UInt8, _ label: String
    ) async throws {
        let inside = Set(positions.indices.filter { space.contains(center: center, radius: radius, positions[$0]) })
        #expect(!inside.isEmpty, "\(label): a node inside")
        try await NodePubSubTests.publishUntilSettled(
            nodes, from: publisher, center: center, radius: radius, inside: inside, tag: tag,
            pause: .milliseconds(150), inbox: inbox, label)
    }

    @Test(arguments: ["plane", "sphere", "torus"])
    func subscribersOnSharedPointsReceiveExactlyOnce(spaceName: String) async throws {
        let layout = Self.layout(spaceName)
        var positions = layout.positions
        let seed = try await EmbeddedSeed.start(
            configuration: NodePubSubSpacesTests.configuration(space: layout.space), logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        var nodes: [ColonioNode] = []
        for _ in positions.indices {
            let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: links), logger: NodeEndToEndTests.logger)
            try await node.connect(seed: seed.url, network: "alpha", token: "alpha-token")
            nodes.append(node)
        }
        let inbox = NodePubSubTests.Inbox()
        var readers: [Task<Void, Never>] = []
        for (index, node) in nodes.enumerated() {
            try await node.setPosition(positions[index])
            let stream = await node.subscribe(topic: "t")
            readers.append(Task { for await delivery in stream { await inbox.record(delivery.payload, at: index) } })
        }
        var tag: UInt8 = 0
        func checkEveryCircle(_ stage: String) async throws {
            for group in layout.shared {
                let point = positions[group[0]]
                // From a scattered node and from the last node on the point; radius 0 and a small circle.
                for (publisher, radius) in [(0, 0.0), (group.last!, 0.0), (1, layout.small), (group.last!, layout.small)] {
                    tag &+= 1
                    try await Self.check(nodes, positions: positions, space: layout.space, inbox: inbox, publisher: publisher,
                                         center: point, radius: radius, tag: tag,
                                         "\(spaceName) \(stage): point \(group), radius \(radius), from \(publisher)")
                }
            }
            // Everyone, published from a node on a shared point.
            tag &+= 1
            try await Self.check(nodes, positions: positions, space: layout.space, inbox: inbox, publisher: layout.shared[0][1],
                                 center: positions[2], radius: layout.everyone, tag: tag, "\(spaceName) \(stage): everyone")
        }
        try await checkEveryCircle("initial")
        // Node 4 moves onto the first shared point, then back.
        let home = positions[4]
        positions[4] = positions[layout.shared[0][0]]
        try await nodes[4].setPosition(positions[4])
        try await Self.check(nodes, positions: positions, space: layout.space, inbox: inbox, publisher: 0,
                             center: positions[4], radius: 0, tag: 200, "\(spaceName): moved onto the point")
        try await Self.check(nodes, positions: positions, space: layout.space, inbox: inbox, publisher: 4,
                             center: positions[1], radius: layout.small, tag: 201, "\(spaceName): from the moved node")
        positions[4] = home
        try await nodes[4].setPosition(home)
        try await Self.check(nodes, positions: positions, space: layout.space, inbox: inbox, publisher: 0,
                             center: positions[layout.shared[0][0]], radius: 0, tag: 202, "\(spaceName): moved off, the point")
        try await Self.check(nodes, positions: positions, space: layout.space, inbox: inbox, publisher: 1,
                             center: home, radius: layout.small, tag: 203, "\(spaceName): moved off, its old place")
        for reader in readers { reader.cancel() }
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }
}
