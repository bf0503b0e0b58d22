import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Foundation
import Logging
import Testing

/// Real nodes over real WebRTC (loopback) with an embedded seed.
@Suite(.serialized) struct NodeEndToEndTests {
    static let logger: Logger = {
        var logger = Logger(label: "colonio.test")
        // COLONIO_TEST_LOG_LEVEL=debug shows what the nodes decide.
        logger.logLevel = ProcessInfo.processInfo.environment["COLONIO_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()

    /// Two networks, alpha and beta; a short link timeout lets crash tests notice silent links quickly.
    static func seedConfiguration(linkTimeoutMilliseconds: UInt32 = 30_000) -> SeedConfiguration {
        var routing = RoutingSettings()
        routing.stabilizeIntervalMilliseconds = 500
        routing.linkTimeoutMilliseconds = linkTimeoutMilliseconds
        routing.keepaliveIntervalMilliseconds = min(routing.keepaliveIntervalMilliseconds, linkTimeoutMilliseconds / 4)
        return SeedConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "",
            networks: [
                NetworkDefinition(name: "alpha", tokens: ["alpha-token"], routing: routing),
                NetworkDefinition(name: "beta", tokens: ["beta-token"], routing: routing),
            ])
    }

    /// Starts `count` nodes one after another in `network`, each with an "echo" handler that answers
    /// with its own ID followed by the payload.
    static func startNodes(_ count: Int, seed: EmbeddedSeed, network: String = "alpha") async throws -> [ColonioNode] {
        var nodes: [ColonioNode] = []
        for _ in 0..<count {
            let node = ColonioNode(options: ColonioNodeOptions(loopbackOnly: true), logger: logger)
            try await node.connect(seed: seed.url, network: network, token: "\(network)-token")
            let id = try #require(await node.nodeID)
            await node.handle("echo") { message in Array(id.hex.utf8) + message.payload }
            nodes.append(node)
        }
        return nodes
    }

    @Test func allPairsMessagingOnASixteenNodeRing() async throws {
        let seed = try await EmbeddedSeed.start(configuration: Self.seedConfiguration(), logger: Self.logger)
        let nodes = try await Self.startNodes(16, seed: seed)
        var ids: [NodeID] = []
        for node in nodes { ids.append(try #require(await node.nodeID)) }
        for (index, node) in nodes.enumerated() {
            for (otherIndex, target) in ids.enumerated() where otherIndex != index {
                let payload: [UInt8] = [UInt8(index), UInt8(otherIndex)]
                let reply = try await retrying { try await node.request(payload, to: target, name: "echo") }
                #expect(reply == Array(target.hex.utf8) + payload)
            }
        }
        // The owner of a key answers; every node agrees on who that is.
        var owners = Set<[UInt8]>()
        for node in nodes {
            owners.insert(try await retrying { try await node.request([], toOwnerOf: "some-key", name: "echo") })
        }
        #expect(owners.count == 1)
        // Errors are typed.
        await #expect(throws: ColonioError.noHandler("missing")) {
            try await nodes[0].request([1], to: ids[1], name: "missing")
        }
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }

    /// A node goes silent without a word (its links stay open but dead): once its neighbours' keepalives
    /// time out, every other pair talks again and requests to it fail with a typed error.
    @Test func crashedNodeIsRoutedAround() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: Self.seedConfiguration(linkTimeoutMilliseconds: 4_000), logger: Self.logger)
        let nodes = try await Self.startNodes(16, seed: seed)
        var ids: [NodeID] = []
        for node in nodes { ids.append(try #require(await node.nodeID)) }
        for target in ids.dropFirst() {
            _ = try await retrying { try await nodes[0].request([], to: target, name: "echo") }
        }
        await nodes[3].crash()
        let survivors = nodes.enumerated().filter { $0.offset != 3 }
        for (_, node) in survivors {
            for (index, target) in ids.enumerated() where index != 3 {
                guard target != (await node.nodeID) else { continue }
                let reply = try await retrying { try await node.request([7], to: target, name: "echo") }
                #expect(reply == Array(target.hex.utf8) + [7])
            }
        }
        await #expect(throws: ColonioError.self) {
            try await survivors[0].element.request([1], to: ids[3], name: "echo")
        }
        for (_, node) in survivors { await node.disconnect() }
        await seed.stop()
    }

    @Test func nodesOfAnotherNetworkCannotReachEachOther() async throws {
        let seed = try await EmbeddedSeed.start(configuration: Self.seedConfiguration(), logger: Self.logger)
        let alpha = try await Self.startNodes(3, seed: seed, network: "alpha")
        let beta = try await Self.startNodes(2, seed: seed, network: "beta")
        let betaID = try #require(await beta[0].nodeID)
        let alphaPeer = try #require(await alpha[1].nodeID)
        _ = try await retrying { try await alpha[0].request([], to: alphaPeer, name: "echo") }
        await #expect(throws: ColonioError.self) {
            try await alpha[0].request([], to: betaID, name: "echo")
        }
        for peer in await alpha[0].linkedPeers { #expect(peer != betaID) }
        // A wrong token is refused with a clear error.
        let intruder = ColonioNode(options: ColonioNodeOptions(loopbackOnly: true), logger: Self.logger)
        await #expect(throws: ColonioError.self) {
            try await intruder.connect(seed: seed.url, network: "alpha", token: "beta-token")
        }
        for node in alpha + beta { await node.disconnect() }
        await seed.stop()
    }
}
