import ArgumentParser
import ColonioCore
import ColonioSimulator
import Foundation

/// `colonio bench overlay-simulation`: the ring overlay in the simulator at large N — hops per request and
/// links per node once the ring is stable, and how long it took to get there.
struct OverlaySimulationBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "overlay-simulation",
        abstract: "Simulated ring overlay: hops per request and links per node at N nodes (JSON)."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Network sizes to simulate.")
    var nodes: [Int] = [1_000, 10_000]

    @Option(name: .long, help: "Requests sampled per network (half to exact IDs, half to owners of random keys).")
    var requests = 2_000

    @Option(name: .long, help: "Seed of the simulation's random choices.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Nodes joining per virtual second.")
    var joinRate = 500

    mutating func validate() throws {
        guard nodes.allSatisfy({ $0 >= 2 }) else { throw ValidationError("--nodes values must be at least 2") }
        guard requests >= 1, joinRate >= 1 else { throw ValidationError("--requests and --join-rate must be positive") }
    }

    @OptionGroup var output: BenchOutputOptions

    /// The benchmark's figures as one JSON object.
    func figures() -> String {
        var results: [String] = []
        for count in nodes {
            results.append(measure(nodeCount: count).json)
        }
        return "{\"benchmark\":\"overlay-simulation\",\"cores\":\(ProcessStatus.allowedCores()),\"seed\":\(seed),\"results\":[\(results.joined(separator: ","))]}"
    }

    private struct Result {
        var nodeCount: Int
        var joinedAfterMilliseconds: UInt64
        var stableAfterMilliseconds: UInt64?
        var hops: [Int]
        var delivered: Int
        var sent: Int
        var wrongReceivers: Int
        var links: [Int]
        var longLinks: [Int]
        var framesPerNodePerSecond: Double
        var events: UInt64
        var wallSeconds: Double

        var json: String {
            let sortedHops = hops.sorted()
            let sortedLinks = links.sorted()
            func percentile(_ values: [Int], _ fraction: Double) -> Int {
                values.nearestRankPercentile(fraction * 100) ?? 0
            }
            let meanHops = hops.isEmpty ? 0 : Double(hops.reduce(0, +)) / Double(hops.count)
            let sortedLongLinks = longLinks.sorted()
            let meanLongLinks = longLinks.isEmpty ? 0 : Double(longLinks.reduce(0, +)) / Double(longLinks.count)
            let meanLinks = links.isEmpty ? 0 : Double(links.reduce(0, +)) / Double(links.count)
            let bound = 0.5 * log2(Double(nodeCount)) + 1
            return "{\"nodes\":\(nodeCount),\"joinMilliseconds\":\(joinedAfterMilliseconds),"
                + "\"stableAfterMilliseconds\":\(stableAfterMilliseconds.map(String.init) ?? "null"),"
                + "\"requests\":\(sent),\"delivered\":\(delivered),\"wrongReceivers\":\(wrongReceivers),"
                + "\"hops\":{\"mean\":\(rounded(meanHops)),\"p50\":\(percentile(sortedHops, 0.5)),"
                + "\"p99\":\(percentile(sortedHops, 0.99)),\"max\":\(sortedHops.last ?? 0),"
                + "\"bound\":\(rounded(bound))},"
                + "\"linksPerNode\":{\"mean\":\(rounded(meanLinks)),\"min\":\(sortedLinks.first ?? 0),"
                + "\"p50\":\(percentile(sortedLinks, 0.5)),\"max\":\(sortedLinks.last ?? 0)},"
                + "\"ownLongLinksPerNode\":{\"mean\":\(rounded(meanLongLinks)),\"min\":\(sortedLongLinks.first ?? 0),"
                + "\"p50\":\(percentile(sortedLongLinks, 0.5)),\"max\":\(sortedLongLinks.last ?? 0)},"
                + "\"maintenanceFramesPerNodePerSecond\":\(rounded(framesPerNodePerSecond)),"
                + "\"events\":\(events),\"wallSeconds\":\(rounded(wallSeconds))}"
        }

        private func rounded(_ value: Double) -> String {
            String(format: "%.3f", value)
        }
    }

    private func measure(nodeCount: Int) -> Result {
        let started = Date()
        let configuration = SimulationConfiguration(seed: seed &+ UInt64(nodeCount), tickIntervalMilliseconds: 500)
        let simulation = Simulation(configuration: configuration)
        simulation.echoRequests = true
        // Nodes join in waves of `joinRate` per virtual second, each wave spread over that second.
        let gap = Swift.max(1, 1_000 / UInt64(joinRate))
        for _ in 0..<nodeCount {
            simulation.addNode()
            simulation.run(for: gap)
        }
        let joined = simulation.now.milliseconds
        var stableAt: UInt64?
        for _ in 0..<60 {
            simulation.run(for: 5_000)
            if simulation.nodesWithWrongNeighbours().isEmpty {
                stableAt = simulation.now.milliseconds - joined
                break
            }
        }
        // Long links are looked up again every refresh interval; let one pass after the ring settled.
        simulation.run(for: UInt64(configuration.settings.longLinkRefreshIntervalMilliseconds) + 10_000)
        let framesBefore = simulation.framesSent
        simulation.run(for: 10_000)
        let framesPerNodePerSecond = Double(simulation.framesSent - framesBefore) / Double(nodeCount) / 10

        var random = SplitMix64(seed: seed)
        let ids = simulation.liveNodeIDs
        var expected: [UInt64: NodeID] = [:]
        simulation.deliveries.removeAll()
        for index in 0..<requests {
            let source = ids[Int(random.next() % UInt64(ids.count))]
            let destination: Destination
            if index % 2 == 0 {
                let target = ids[Int(random.next() % UInt64(ids.count))]
                destination = .node(target)
                expected[UInt64(index)] = target
            } else {
                let key = NodeID.random(using: &random)
                destination = .ownerOf(key)
                expected[UInt64(index)] = simulation.owner(of: key)
            }
            var tag = WireWriter()
            tag.writeVarint(UInt64(index))
            _ = try? simulation.request(from: source, payload: tag.bytes, to: destination)
        }
        simulation.run(for: 20_000)
        var hops: [Int] = []
        var wrong = 0
        var seen: Set<UInt64> = []
        for case .message(let receiver, let message) in simulation.deliveries {
            var reader = WireReader(message.payload)
            guard let tag = try? reader.readVarint(), let want = expected[tag] else { continue }
            // A retried request may arrive twice (at-least-once); count each request once.
            guard seen.insert(tag).inserted else { continue }
            if receiver == want { hops.append(Int(message.hopCount)) } else { wrong += 1 }
        }
        return Result(
            nodeCount: nodeCount, joinedAfterMilliseconds: joined, stableAfterMilliseconds: stableAt, hops: hops,
            delivered: hops.count, sent: requests, wrongReceivers: wrong, links: simulation.linkCounts(),
            longLinks: ids.map { simulation.machine(of: $0)?.ring?.longLinkNodes.count ?? 0 },
            framesPerNodePerSecond: framesPerNodePerSecond, events: simulation.eventCount,
            wallSeconds: Date().timeIntervalSince(started))
    }
}
