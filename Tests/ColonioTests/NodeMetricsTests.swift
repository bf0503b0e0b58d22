@testable import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import MetricsTestKit
import Testing

/// The node reports to the metrics factory it is given: links, overlay frames, delivered messages,
/// requests, pub/sub and KVS outcomes, each with the network as a dimension.
@Suite(.serialized) struct NodeMetricsTests {
    static let network = [("network", "alpha")]

    static func counter(_ metrics: TestMetrics, _ label: String, _ extra: [(String, String)] = []) -> Int64 {
        (try? metrics.expectCounter(label, network + extra).totalValue) ?? 0
    }

    @Test func eventsAndGaugesReachTheFactory() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        var nodes: [ColonioNode] = []
        var metrics: [TestMetrics] = []
        var ids: [NodeID] = []
        for index in 0..<4 {
            let factory = TestMetrics()
            var options = ColonioNodeOptions(inMemoryLinks: links)
            options.metricsFactory = factory
            let node = ColonioNode(options: options, logger: NodeEndToEndTests.logger)
            try await node.connect(seed: seed.url, network: "alpha", token: "alpha-token")
            await node.handle("echo") { message in message.payload }
            try await node.setPosition(Position(x: 100 + Double(index) * 10, y: 100))
            nodes.append(node)
            metrics.append(factory)
            ids.append(try #require(await node.nodeID))
        }
        _ = try await retrying { try await nodes[0].request([0], to: ids[1], name: "echo") }
        let (a, b) = (metrics[0], metrics[1])
        let responses = Self.counter(a, "colonio_node_requests_total", [("outcome", "response")])
        let failures = Self.counter(a, "colonio_node_requests_total", [("outcome", "failure")])
        let served = Self.counter(b, "colonio_node_messages_delivered_total", [("kind", "request")])
        #expect(responses >= 1 && served >= 1)

        #expect(try await nodes[0].request([1], to: ids[1], name: "echo") == [1])
        await #expect(throws: ColonioError.self) { try await nodes[0].request([2], to: ids[1], name: "nobody") }
        #expect(Self.counter(a, "colonio_node_requests_total", [("outcome", "response")]) == responses + 1)
        #expect(Self.counter(a, "colonio_node_requests_total", [("outcome", "failure")]) == failures + 1)
        #expect(Self.counter(b, "colonio_node_messages_delivered_total", [("kind", "request")]) == served + 1)

        let updates = await nodes[1].subscribe(topic: "t")
        // Retried while pub/sub neighbours form: an attempt that reached nobody counts as published too.
        try await retrying {
            try await nodes[0].publish([7], topic: "t", center: Position(x: 110, y: 100), radius: 5,
                                       options: SpreadOptions(requireReceiver: true))
        }
        var received = updates.makeAsyncIterator()
        #expect(await received.next()?.payload == [7])
        #expect(Self.counter(a, "colonio_node_spread_published_total") >= 1)
        #expect(Self.counter(b, "colonio_node_spread_delivered_total") == 1)

        _ = try await retrying { try await nodes[0].kvs.put("k", [1]) }
        #expect(Self.counter(a, "colonio_node_kvs_operations_total", [("outcome", "success")]) >= 1)

        // Gauges and overlay counters are brought up to date on the next tick.
        #expect(await eventually { (try? a.expectGauge("colonio_node_links", Self.network).lastValue ?? 0) ?? 0 >= 1 })
        #expect(await eventually { (try? a.expectGauge("colonio_node_geo_neighbours", Self.network).lastValue ?? 0) ?? 0 >= 1 })
        #expect(Self.counter(a, "colonio_node_frames_sent_total") > 0)
        #expect(Self.counter(a, "colonio_node_frames_received_total") > 0)
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }
}
