@testable import Colonio
import ColonioCore
import ColonioTesting
import Crypto
import Foundation
import Logging
import Testing

/// A deployment as docs/seed.md describes it: three `colonio seed` processes on one PostgreSQL,
/// behind nginx. Nodes (in this process, over in-memory links) sign in at different seeds, link,
/// exchange requests, KVS values and pub/sub messages; one seed is killed and its nodes resume on
/// the others under their IDs.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(
        if: ThrowawayPostgres.isAvailable && NginxBalancer.isAvailable,
        "SKIPPED: needs Debian's postgresql and nginx (COLONIO_SETUP_EXTRAS=postgres scripts/setup.sh)"))
struct SeveralSeedsTests {
    static let logger: Logger = {
        var logger = Logger(label: "colonio.several-seeds-test")
        logger.logLevel = .error
        return logger
    }()

    static func seedConfiguration(postgres: String) -> String {
        """
        {
          "listen": {"host": "127.0.0.1", "port": 0},
          "webDirectory": "",
          "limits": {"framesPerSecond": 1000},
          "registry": {"postgres": "\(postgres)", "seedTimeoutSeconds": 4},
          "networks": [{
            "name": "alpha", "tokens": ["alpha-token"],
            "space": {"kind": "plane", "width": 1000, "height": 1000},
            "routing": {"linkTimeoutMilliseconds": 8000, "keepaliveIntervalMilliseconds": 2000}
          }]
        }
        """
    }

    @Test func nodesOnDifferentSeedsFormOneNetworkAndSurviveASeedCrash() async throws {
        try await ThrowawayPostgres.with { postgres in
            let folder = try ExternalCommand.scratchFolder("colonio-seeds")
            defer { try? FileManager.default.removeItem(at: folder) }
            let configuration = folder.appendingPathComponent("seed.json")
            try Self.seedConfiguration(postgres: postgres.url).write(to: configuration, atomically: true, encoding: .utf8)
            // One signing key for the deployment: any seed verifies any certificate and accepts any resume.
            let keyFile = folder.appendingPathComponent("seed.key")
            try Curve25519.Signing.PrivateKey().rawRepresentation.write(to: keyFile)
            var seeds: [SeedProcess] = []
            for _ in 0..<3 { seeds.append(try await SeedProcess(configuration: configuration, keyFile: keyFile, folder: folder)) }
            let nginx = try await NginxBalancer(seedPorts: seeds.map(\.port), folder: folder)
            defer { nginx.stop() }

            // Node i signs in at seed i % 3 directly, with the balancer as its second address; the last
            // one knows only the balancer.
            let links = InMemoryLinkNetwork()
            var nodes: [ColonioNode] = []
            var ids: [NodeID] = []
            for index in 0..<7 {
                let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: links), logger: Self.logger)
                let urls = index < 6 ? [seeds[index % 3].url, nginx.url] : [nginx.url]
                try await node.connect(seeds: urls, network: "alpha", token: "alpha-token")
                let id = try #require(await node.nodeID)
                await node.handle("echo") { message in Array(id.hex.utf8) + message.payload }
                try await node.setPosition(Position(x: 100 + Double(index) * 10, y: 500))
                nodes.append(node)
                ids.append(id)
            }
            try await Self.everyoneAnswers(nodes, ids, "before the crash")
            _ = try await retrying { try await nodes[1].kvs.put("colour", Array("blue".utf8)) }
            let colour = try await retrying { try await nodes[5].kvs.get("colour") }
            #expect(colour?.bytes == Array("blue".utf8))
            try await Self.publishReaches(nodes, from: 2, to: 4)

            // Seed 0 dies: nodes 0 and 3 reconnect through the balancer and keep their IDs.
            seeds[0].crash()
            for index in [0, 3] {
                // Lost at once (the socket is reset); back after the retry delay (at least 0.5 s).
                #expect(await eventually(timeout: .seconds(5)) { await !nodes[index].status().isSeedConnected })
            }
            for index in [0, 3] {
                #expect(await eventually(timeout: .seconds(20)) { await nodes[index].status().isSeedConnected })
                #expect(await nodes[index].nodeID == ids[index])
            }
            // A newcomer (through the balancer, so at seed 1 or 2) must be signaled to across seeds.
            let newcomer = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: links), logger: Self.logger)
            try await newcomer.connect(seeds: [nginx.url], network: "alpha", token: "alpha-token")
            let newcomerID = try #require(await newcomer.nodeID)
            await newcomer.handle("echo") { message in Array(newcomerID.hex.utf8) + message.payload }
            try await Self.everyoneAnswers(nodes + [newcomer], ids + [newcomerID], "after the crash")
            let stillThere = try await retrying { try await newcomer.kvs.get("colour") }
            #expect(stillThere?.bytes == Array("blue".utf8))

            for node in nodes + [newcomer] { await node.disconnect() }
            for seed in seeds { seed.crash() }
        }
    }

    /// Every node answers a request from every other (retried while links form).
    static func everyoneAnswers(_ nodes: [ColonioNode], _ ids: [NodeID], _ label: String) async throws {
        for (index, node) in nodes.enumerated() {
            for (otherIndex, target) in ids.enumerated() where otherIndex != index {
                let reply = try await retrying(timeout: .seconds(20)) {
                    try await node.request([UInt8(index)], to: target, name: "echo")
                }
                #expect(reply == Array(target.hex.utf8) + [UInt8(index)], "\(label): \(index) -> \(otherIndex)")
            }
        }
    }

    /// A publication of `nodes[from]` reaches the subscriber `nodes[to]` (published again, at most 40
    /// times, while neighbourhoods settle).
    static func publishReaches(_ nodes: [ColonioNode], from publisher: Int, to subscriber: Int) async throws {
        let deliveries = await nodes[subscriber].subscribe(topic: "news")
        let received = Collected(deliveries)
        for _ in 0..<40 where received.all.isEmpty {
            try await nodes[publisher].publish(
                Array("hello".utf8), topic: "news", center: Position(x: 130, y: 500), radius: 200)
            _ = await eventually(timeout: .milliseconds(250)) { !received.all.isEmpty }
        }
        #expect(received.all.first?.payload == Array("hello".utf8), "a publication reached its subscriber")
    }
}
