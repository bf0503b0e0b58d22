import ArgumentParser
import Colonio
import ColonioCore
import Foundation

/// `colonio bench kvs`: the KVS between real nodes over WebRTC on loopback — get and put latency and
/// operations per second — plus the consensus in simulation at large N.
struct KVSBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "kvs",
        abstract: "Real KVS (get/put latency, operations/s) and simulated KVS at large N (JSON).",
        discussion: "Example: swift run -c release colonio bench kvs --nodes 16 --simulated-nodes 1000"
    )

    @Option(help: "Real nodes to start in this process.") var nodes = 16
    @Option(help: "Sequential puts and as many gets for the latency figures.") var operations = 500
    @Option(help: "Distinct keys.") var keys = 200
    @Option(help: "Seconds of concurrent operations for the throughput figure (at most 30).") var seconds = 3.0
    @Option(help: "Nodes of the simulated KVS (0: skip).") var simulatedNodes = 1_000
    @Option(help: "Operations of the simulated KVS.") var simulatedOperations = 50_000

    func validate() throws {
        guard (3...64).contains(nodes) else { throw ValidationError("--nodes must be 3 to 64") }
        guard operations >= 1, keys >= 1, seconds > 0, seconds <= 30 else {
            throw ValidationError("--operations and --keys must be positive, --seconds 0 to 30")
        }
    }

    @OptionGroup var output: BenchOutputOptions

    func figures() async throws -> String {
        let network = try await BenchNetwork.start(nodes: nodes)
        var generator = SplitMix64(seed: 11)
        let value = [UInt8](repeating: 0x5A, count: 100)
        var puts = LatencySamples()
        var gets = LatencySamples()
        for index in 0..<operations {
            let node = network.nodes[Int.random(in: 0..<nodes, using: &generator)]
            let start = ContinuousClock.now
            try await node.kvs.put("bench/\(index % keys)", value)
            puts.record(since: start)
        }
        for index in 0..<operations {
            let node = network.nodes[Int.random(in: 0..<nodes, using: &generator)]
            let start = ContinuousClock.now
            guard try await node.kvs.get("bench/\(index % keys)")?.bytes == value else {
                throw BenchFailure("read a wrong value")
            }
            gets.record(since: start)
        }
        // Throughput: every node runs 4 clients, each one operation at a time (half gets, half puts).
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let started = ContinuousClock.now
        let (completed, failed) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for (index, node) in network.nodes.enumerated() {
                for lane in 0..<4 {
                    let keyCount = keys
                    group.addTask {
                        var local = SplitMix64(seed: UInt64(index * 4 + lane + 1))
                        var (done, failed) = (0, 0)
                        while ContinuousClock.now < deadline, done < 1_000_000 {
                            let key = "bench/\(Int.random(in: 0..<keyCount, using: &local))"
                            do {
                                if Bool.random(using: &local) {
                                    _ = try await node.kvs.get(key)
                                } else {
                                    try await node.kvs.put(key, value)
                                }
                                done += 1
                            } catch {
                                failed += 1
                            }
                        }
                        return (done, failed)
                    }
                }
            }
            return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        let elapsed = Double((ContinuousClock.now - started) / .milliseconds(1)) / 1000
        await network.stop()
        var json = "{\"benchmark\":\"kvs\",\"cores\":\(ProcessStatus.allowedCores()),\"nodes\":\(nodes),"
            + "\"replication_factor\":3,\"value_bytes\":\(value.count),"
            + "\"put\":{\(puts.json())},\"get\":{\(gets.json())},"
            + "\"concurrent_clients\":\(nodes * 4),\"operations_per_second\":\(Int(Double(completed) / elapsed)),"
            + "\"failed_operations\":\(failed),\"rss_mb\":\(Int(ProcessStatus.read().residentMB))"
        if simulatedNodes > 0 {
            let simulation = try KVSSimulationBenchmark.parse(
                ["--nodes", "\(simulatedNodes)", "--operations", "\(simulatedOperations)"])
            json += ",\"simulation\":" + simulation.figures()
        }
        return json + "}"
    }
}
