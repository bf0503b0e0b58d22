import ArgumentParser
import Colonio
import ColonioCore
import Foundation

/// `colonio bench overlay`: real nodes over WebRTC on loopback — request/response latency by hop count
/// and requests per second through the overlay — plus the simulated overlay at large N.
struct OverlayBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "overlay",
        abstract: "Real overlay (request latency by hops, requests/s) and simulated overlay at large N (JSON).",
        discussion: "Example: swift run -c release colonio bench overlay --nodes 16 --simulated 1000 10000"
    )

    @Option(help: "Real nodes to start in this process.") var nodes = 16
    @Option(help: "Sequential requests for the latency figures.") var requests = 2_000
    @Option(help: "Seconds of concurrent requests for the throughput figure (at most 30).") var seconds = 3.0
    @Option(name: .long, parsing: .upToNextOption, help: "Simulated network sizes (none: skip).")
    var simulated: [Int] = [1_000, 10_000]

    func validate() throws {
        guard (2...64).contains(nodes) else { throw ValidationError("--nodes must be 2 to 64") }
        guard (1...100_000).contains(requests), seconds > 0, seconds <= 30 else {
            throw ValidationError("--requests must be 1 to 100000 and --seconds 0 to 30")
        }
    }

    @OptionGroup var output: BenchOutputOptions

    func figures() async throws -> String {
        let network = try await BenchNetwork.start(nodes: nodes)
        var generator = SplitMix64(seed: 7)
        // Latency: one request at a time between random pairs, grouped by the hops the request took.
        var byHops: [Int: LatencySamples] = [:]
        var all = LatencySamples()
        for _ in 0..<requests {
            let from = Int.random(in: 0..<nodes, using: &generator)
            var to = Int.random(in: 0..<(nodes - 1), using: &generator)
            if to >= from { to += 1 }
            let start = ContinuousClock.now
            let hops = try await BenchNetwork.echo(from: network.nodes[from], toHex: network.ids[to], payload: [0, 1, 2, 3])
            all.record(since: start)
            byHops[hops, default: LatencySamples()].record(since: start)
        }
        // Throughput: every node keeps 8 requests in flight to random nodes for `seconds`.
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let started = ContinuousClock.now
        let completed = try await withThrowingTaskGroup(of: Int.self) { group in
            for (index, node) in network.nodes.enumerated() {
                for lane in 0..<8 {
                    let ids = network.ids
                    group.addTask {
                        var local = SplitMix64(seed: UInt64(index * 8 + lane + 1))
                        var done = 0
                        while ContinuousClock.now < deadline, done < 1_000_000 {
                            var to = Int.random(in: 0..<(ids.count - 1), using: &local)
                            if to >= index { to += 1 }
                            _ = try await BenchNetwork.echo(from: node, toHex: ids[to], payload: [UInt8](repeating: 7, count: 64))
                            done += 1
                        }
                        return done
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        await network.stop()
        let hops = byHops.keys.sorted().map { "{\"hops\":\($0),\(byHops[$0]!.json())}" }.joined(separator: ",")
        var json = "{\"benchmark\":\"overlay\",\"cores\":\(ProcessStatus.allowedCores()),\"nodes\":\(nodes),"
            + "\"latency\":{\(all.json())},\"latency_by_hops\":[\(hops)],"
            + "\"concurrent_requests_in_flight\":\(nodes * 8),\"requests_per_second\":\(Int(Double(completed) / elapsed)),"
            + "\"rss_mb\":\(Int(ProcessStatus.read().residentMB))"
        if !simulated.isEmpty {
            let simulation = try OverlaySimulationBenchmark.parse(["--nodes"] + simulated.map(String.init))
            json += ",\"simulation\":" + simulation.figures()
        }
        return json + "}"
    }
}
