@testable import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import MetricsTestKit
import Testing

/// Nodes look after their place in the network: they return to a restarted seed under their IDs, sign
/// in afresh when the seed cannot restore them, and find each other again through the seed after
/// losing every link.
@Suite(.serialized, .timeLimit(.minutes(2))) struct NodeRecoveryTests {
    static func options(_ links: InMemoryLinkNetwork, metrics: TestMetrics? = nil) -> ColonioNodeOptions {
        var options = ColonioNodeOptions(
            metricsFactory: metrics, retryDelay: .milliseconds(100), maximumRetryDelay: .milliseconds(400))
        options.inMemoryLinks = links
        return options
    }

    /// The nodes' metrics (one factory for all, so counters add up over the nodes).
    let metrics = TestMetrics()

    static func counter(_ metrics: TestMetrics, _ label: String, _ extra: [(String, String)] = []) -> Int64 {
        (try? metrics.expectCounter(label, [("network", "alpha")] + extra).totalValue) ?? 0
    }

    static func startNodes(
        _ count: Int, seed: EmbeddedSeed, links: InMemoryLinkNetwork, metrics: TestMetrics? = nil
    ) async throws -> [ColonioNode] {
        var nodes: [ColonioNode] = []
        for _ in 0..<count {
            let node = ColonioNode(options: options(links, metrics: metrics), logger: NodeEndToEndTests.logger)
            try await node.connect(seed: seed.url, network: "alpha", token: "alpha-token")
            await node.handle("echo") { message in message.payload }
            nodes.append(node)
        }
        return nodes
    }

    /// Every node answers a request from every other.
    static func allPairsAnswer(_ nodes: [ColonioNode]) async throws {
        var ids: [NodeID] = []
        for node in nodes { ids.append(try #require(await node.nodeID)) }
        for (index, node) in nodes.enumerated() {
            for (other, id) in ids.enumerated() where other != index {
                let reply = try await retrying { try await node.request([UInt8(other)], to: id, name: "echo") }
                #expect(reply == [UInt8(other)])
            }
        }
    }

    /// A formed network of `count` nodes on a seed signing with `key`, stopped once they all answer.
    static func formNetworkThenStopTheSeed(
        _ count: Int, key: SeedSigningKey, links: InMemoryLinkNetwork, metrics: TestMetrics
    ) async throws -> (nodes: [ColonioNode], ids: [NodeID], port: Int) {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), signingKey: key, logger: NodeEndToEndTests.logger)
        let nodes = try await startNodes(count, seed: seed, links: links, metrics: metrics)
        var ids: [NodeID] = []
        for node in nodes { ids.append(try #require(await node.nodeID)) }
        // The network has formed: no link is being set up through the seed when it goes.
        try await allPairsAnswer(nodes)
        await seed.stop()
        return (nodes, ids, seed.port)
    }

    /// A seed on `port` (where the stopped one listened) with its own registry.
    static func startSeed(on port: Int, key: SeedSigningKey) async throws -> (EmbeddedSeed, InMemoryNetworkRegistry) {
        var configuration = NodeEndToEndTests.seedConfiguration()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: port)
        let registry = InMemoryNetworkRegistry()
        let seed = try await EmbeddedSeed.start(
            configuration: configuration, signingKey: key, registry: registry, logger: NodeEndToEndTests.logger)
        return (seed, registry)
    }

    @Test func nodesReturnUnderTheirIDsWhenTheSeedRestarts() async throws {
        let key = SeedSigningKey()
        let links = InMemoryLinkNetwork()
        let (nodes, ids, port) = try await Self.formNetworkThenStopTheSeed(3, key: key, links: links, metrics: metrics)
        let (second, registry) = try await Self.startSeed(on: port, key: key)
        #expect(await eventually(timeout: .seconds(15)) { registry.nodes(network: "alpha") == ids.sorted() })
        #expect(await eventually(timeout: .seconds(15)) {
            for node in nodes where await !node.status().isSeedConnected { return false }
            return true
        })
        for (node, id) in zip(nodes, ids) { #expect(await node.nodeID == id) }
        #expect(Self.counter(metrics, "colonio_node_seed_reconnects_total", [("outcome", "resumed")]) == 3)
        // The gauge follows on the next tick (all nodes report into one factory, so the last one wins).
        #expect(await eventually(timeout: .seconds(15)) {
            (try? metrics.expectGauge("colonio_node_seed_connected", [("network", "alpha")]).lastValue) == 1
        })
        #expect(Self.counter(metrics, "colonio_node_seed_reconnects_total", [("outcome", "new_id")]) == 0)

        // A newcomer signs in to the new seed, which knows the returned nodes, and reaches all of them.
        let newcomer = try await Self.startNodes(1, seed: second, links: links)
        try await Self.allPairsAnswer(nodes + newcomer)
        for node in nodes + newcomer { await node.disconnect() }
        await second.stop()
    }

    @Test func nodesSignInAfreshWhenTheSeedCannotRestoreThem() async throws {
        let links = InMemoryLinkNetwork()
        let (nodes, ids, port) = try await Self.formNetworkThenStopTheSeed(
            2, key: SeedSigningKey(), links: links, metrics: metrics)
        // While the seed is away, the nodes report it on their next tick.
        #expect(await eventually(timeout: .seconds(15)) {
            (try? metrics.expectGauge("colonio_node_seed_connected", [("network", "alpha")]).lastValue) == 0
        })
        // Another signing key: the old certificates mean nothing to this seed.
        let (second, registry) = try await Self.startSeed(on: port, key: SeedSigningKey())
        #expect(await eventually(timeout: .seconds(15)) { registry.nodeCount(network: "alpha") == 2 })
        // The seed registers a node before the node has read its new certificate: wait for both sides.
        let newIDs = try #require(await eventuallyValue(timeout: .seconds(15)) { () async -> [NodeID]? in
            var found: [NodeID] = []
            for node in nodes {
                guard let id = await node.nodeID, !ids.contains(id) else { return nil }
                found.append(id)
            }
            return found
        })
        #expect(Self.counter(metrics, "colonio_node_seed_reconnects_total", [("outcome", "new_id")]) == 2)
        #expect(registry.nodes(network: "alpha") == newIDs.sorted())
        try await Self.allPairsAnswer(nodes)
        for node in nodes { await node.disconnect() }
        await second.stop()
    }

    @Test func nodesThatLostEveryLinkFindEachOtherThroughTheSeed() async throws {
        var configuration = NodeEndToEndTests.seedConfiguration()
        for index in configuration.networks.indices { configuration.networks[index].routing.connectTimeoutMilliseconds = 1_000 }
        let seed = try await EmbeddedSeed.start(configuration: configuration, logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        let nodes = try await Self.startNodes(3, seed: seed, links: links, metrics: metrics)
        try await Self.allPairsAnswer(nodes)

        // Every link closes and reconnecting fails until the ring has given up on every neighbour.
        links.setOutage(true)
        #expect(await eventually(timeout: .seconds(15)) {
            for node in nodes where await !node.linkedPeers.isEmpty { return false }
            return true
        })
        // Alone, each node asks the seed for peers (and finds only the others, unreachable for now).
        #expect(await eventually(timeout: .seconds(15)) { Self.counter(metrics, "colonio_node_peer_searches_total") >= 3 })
        links.setOutage(false)

        #expect(await eventually(timeout: .seconds(15)) {
            for node in nodes where await node.linkedPeers.isEmpty { return false }
            return true
        })
        try await Self.allPairsAnswer(nodes)
        // Each node was alone during the outage and asked at least once.
        #expect(Self.counter(metrics, "colonio_node_peer_searches_total") >= 3)
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }
}
