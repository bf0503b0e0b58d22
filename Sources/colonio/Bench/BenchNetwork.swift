import Colonio
import ColonioCore
import ColonioSeed
import Foundation
import Logging

/// An embedded seed and real nodes over WebRTC on loopback in this process, for the benchmarks that
/// measure the real overlay. Every node answers "echo" with the hop count its request took (4 bytes).
struct BenchNetwork {
    let seed: EmbeddedSeed
    let nodes: [ColonioNode]
    /// Node IDs as text: a Swift 6.3 miscompile corrupts UInt128 values captured by async closures.
    let ids: [String]

    static func start(nodes count: Int) async throws -> BenchNetwork {
        var logger = Logger(label: "colonio.bench")
        logger.logLevel = .critical
        let configuration = SeedConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "",
            networks: [NetworkDefinition(name: "bench", tokens: ["bench-token"])])
        let seed = try await EmbeddedSeed.start(configuration: configuration, logger: logger)
        var nodes: [ColonioNode] = []
        var ids: [String] = []
        for _ in 0..<count {
            let node = ColonioNode(options: ColonioNodeOptions(loopbackOnly: true), logger: logger)
            try await node.connect(seed: seed.url, network: "bench", token: "bench-token")
            await node.handle("echo") { message in
                withUnsafeBytes(of: UInt32(message.hopCount).bigEndian) { Array($0) }
            }
            ids.append(await node.nodeID?.hex ?? "")
            nodes.append(node)
        }
        let network = BenchNetwork(seed: seed, nodes: nodes, ids: ids)
        try await network.waitUntilEveryPairAnswers()
        return network
    }

    /// Every node reaches every other one: the ring has formed. At most 30 s.
    func waitUntilEveryPairAnswers() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        for (index, node) in nodes.enumerated() {
            for (otherIndex, id) in ids.enumerated() where otherIndex != index {
                while true {
                    if (try? await Self.echo(from: node, toHex: id)) != nil { break }
                    guard ContinuousClock.now < deadline else { throw BenchFailure("the ring did not form in 30 s") }
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
    }

    /// Sends an echo request to the node with hexadecimal ID `hex`; returns the request's hop count.
    static func echo(from node: ColonioNode, toHex hex: String, payload: [UInt8] = []) async throws -> Int {
        guard let id = NodeID(hex: hex) else { throw BenchFailure("bad node ID \(hex)") }
        let reply = try await node.request(payload, to: id, name: "echo")
        guard reply.count == 4 else { throw BenchFailure("bad echo reply") }
        return reply.reduce(0) { $0 << 8 | Int($1) }
    }

    func stop() async {
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }
}

/// Latency samples in microseconds.
struct LatencySamples {
    private(set) var values: [Int] = []

    mutating func record(since start: ContinuousClock.Instant) {
        values.append(Int((ContinuousClock.now - start) / .microseconds(1)))
    }

    /// `"p50_us": x, "p99_us": y, "count": n` as JSON fields.
    func json(prefix: String = "") -> String {
        let sorted = values.sorted()
        return "\"\(prefix)count\":\(values.count),\"\(prefix)p50_us\":\(sorted.nearestRankPercentile(50) ?? 0),"
            + "\"\(prefix)p99_us\":\(sorted.nearestRankPercentile(99) ?? 0)"
    }
}

/// A benchmark that could not run.
struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
