import Colonio
import ColonioCore
import ColonioSeed
import Foundation
import Logging

/// One run of `colonio demo`: the embedded seed, the node processes and what each step learned, with one
/// method per step. Each step returns the detail for the summary table or throws a ``DemoFailure``.
final class DemoRun {
    let nodeCount: Int
    private let logger: Logger
    /// Short link timeouts so that a killed node is noticed within seconds.
    private let seedConfiguration: SeedConfiguration
    /// Kept for the restart step: certificates signed before it stay valid after it.
    private let signingKey = SeedSigningKey()
    private var seed: EmbeddedSeed?
    private(set) var processes: [DemoNodeProcess] = []
    private(set) var ids: [String] = []
    /// What the KVS step wrote, checked again after the kill.
    private var written: [String: (text: String, version: Int)] = [:]
    /// Nodes on a circle of radius 400 around the map's centre; the pub/sub circle (radius 100) is
    /// around node 2, every other node is at least 300 away.
    let positions: [(x: Double, y: Double)]
    let circle: (x: Double, y: Double, radius: Double)
    /// Authenticated links before the kill, for the picture.
    private(set) var links: [(Int, Int)] = []
    /// The node the repair step kills.
    var victim: Int { nodeCount / 2 + 1 }

    init(nodes: Int, logger: Logger) {
        nodeCount = nodes
        self.logger = logger
        var routing = RoutingSettings()
        routing.stabilizeIntervalMilliseconds = 500
        routing.keepaliveIntervalMilliseconds = 1_000
        routing.linkTimeoutMilliseconds = 4_000
        seedConfiguration = SeedConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "",
            networks: [NetworkDefinition(name: "demo", tokens: ["demo-token"], routing: routing)])
        positions = (0..<nodes).map { index in
            let angle = Double(index) / Double(nodes) * 2 * Double.pi
            return (x: 500 + 400 * cos(angle), y: 500 + 400 * sin(angle))
        }
        circle = (x: positions[1].x, y: positions[1].y, radius: 100.0)
    }

    func startSeed() async throws -> String {
        let started = try await EmbeddedSeed.start(configuration: seedConfiguration, signingKey: signingKey, logger: logger)
        seed = started
        return "listening at \(started.url)"
    }

    func startNodes() async throws -> String {
        guard let seed else { throw DemoFailure("no seed") }
        for index in 0..<nodeCount {
            processes.append(try DemoNodeProcess(index: index, seed: seed.url, network: "demo", token: "demo-token"))
        }
        for process in processes {
            let status = try await process.command("status")
            guard let id = status["nodeID"] as? String else { throw DemoFailure("node \(process.index + 1) has no ID") }
            ids.append(id)
            print("  node \(process.index + 1)/\(nodeCount) joined as \(id.prefix(8))…")
        }
        return "\(processes.count) processes signed in"
    }

    func waitForRing() async throws -> String {
        for process in processes { _ = try await process.command("wait 2 20", timeout: .seconds(25)) }
        return "every node has at least 2 authenticated links"
    }

    func messageAllPairs() async throws -> String {
        let (count, slowest) = try await Self.allPairs(processes, ids)
        return "\(count) requests answered, slowest \(slowest) ms"
    }

    func exerciseKVS() async throws -> String {
        for process in processes {
            let key = "player/\(process.index)"
            let text = "score-\(process.index * 10)"
            let stored = try await Self.retrying { try await process.command("put \(key) \(text)") }
            written[key] = (text, stored["version"] as? Int ?? -1)
        }
        for process in processes {
            let key = "player/\((process.index + 1) % processes.count)"
            let read = try await process.command("get \(key)")
            guard read["text"] as? String == written[key]?.text, read["version"] as? Int == written[key]?.version else {
                throw DemoFailure("\(key) read back wrong from node \(process.index + 1): \(read)")
            }
        }
        // Every node tries put-if-absent on one key at once: exactly one wins.
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for process in processes {
                group.addTask { (try? await process.command("put --if-absent flag node-\(process.index)")) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        let wins = outcomes.filter { $0 }.count
        guard wins == 1 else { throw DemoFailure("\(wins) put-if-absent calls succeeded, expected 1") }
        let flag = try await processes[1].command("get flag")
        let version = flag["version"] as? Int ?? -1
        let swapped = try await processes[2].command("put --if-version=\(version) flag green")
        do {
            _ = try await processes[3].command("put --if-version=\(version) flag blue")
            throw DemoFailure("a stale compare-and-set succeeded")
        } catch let failure as DemoFailure where failure.description.contains("condition") {}
        written["flag"] = ("green", swapped["version"] as? Int ?? -1)
        return "\(processes.count) puts read back from other nodes; 1 of \(processes.count) put-if-absent won; "
            + "compare-and-set to version \(swapped["version"] ?? "?"), stale one refused"
    }

    func exercisePubSub() async throws -> String {
        for process in processes {
            let position = positions[process.index]
            _ = try await process.command("position \(position.x),\(position.y)")
            _ = try await process.command("subscribe map")
        }
        let publisher = processes[nodeCount / 2]
        // Published until the geographic neighbourhoods have settled and one round gets through.
        for round in 0..<40 {
            let text = "hello-\(round)"
            _ = try await publisher.command("publish map \(circle.x),\(circle.y) \(circle.radius) \(text)")
            try await Task.sleep(for: .milliseconds(250))
            let inside = processes[1].events("delivery").filter { $0["text"] as? String == text }.count
            guard inside > 0 else { continue }
            guard inside == 1 else { throw DemoFailure("the subscriber inside got the message \(inside) times") }
            let outside = processes.filter { $0.index != 1 }.map { $0.events("delivery").count }.reduce(0, +)
            guard outside == 0 else { throw DemoFailure("\(outside) deliveries reached nodes outside the circle") }
            return "subscriber inside got it once (round \(round + 1)); \(nodeCount - 1) outside got nothing"
        }
        throw DemoFailure("the subscriber inside the circle never received the message")
    }

    /// Notes the authenticated links, for the picture.
    func recordLinks() async throws {
        for process in processes {
            let answer = try await process.command("links")
            for link in answer["links"] as? [[String: Any]] ?? [] where link["state"] as? String == "authenticated" {
                if let peer = link["peer"] as? String, let other = ids.firstIndex(of: peer), other > process.index {
                    links.append((process.index, other))
                }
            }
        }
    }

    func killOneNodeAndCheckRepair() async throws -> String {
        processes[victim].kill()
        let survivors = processes.filter { $0.index != victim }
        let (count, slowest) = try await Self.allPairs(survivors, ids)
        var intact = 0
        for (offset, (key, value)) in written.sorted(by: { $0.key < $1.key }).enumerated() {
            let reader = survivors[offset % survivors.count]
            let read = try await Self.retrying { try await reader.command("get \(key)") }
            guard read["text"] as? String == value.text, read["version"] as? Int == value.version else {
                throw DemoFailure("\(key) lost or wrong after the kill: \(read)")
            }
            intact += 1
        }
        return "node \(victim + 1) killed; \(count) requests answered (slowest \(slowest) ms); \(intact) KVS values intact"
    }

    func restartSeedAndCheckReturn() async throws -> String {
        guard let old = seed else { throw DemoFailure("no seed") }
        await old.stop()
        var configuration = seedConfiguration
        configuration.listen = ListenAddress(host: "127.0.0.1", port: old.port)
        let registry = InMemoryNetworkRegistry()
        seed = try await EmbeddedSeed.start(
            configuration: configuration, signingKey: signingKey, registry: registry, logger: logger)
        let survivors = processes.filter { $0.index != victim }
        let expected = survivors.map { ids[$0.index] }.sorted()
        let deadline = ContinuousClock.now + .seconds(20)
        while registry.nodes(network: "demo").map(\.hex).sorted() != expected {
            guard ContinuousClock.now < deadline else {
                throw DemoFailure("after 20 s the restarted seed knows \(registry.nodeCount(network: "demo")) of \(expected.count) nodes")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        for process in survivors {
            let status = try await process.command("status")
            guard status["nodeID"] as? String == ids[process.index] else {
                throw DemoFailure("node \(process.index + 1) came back as \(status["nodeID"] ?? "nothing")")
            }
        }
        let (count, _) = try await Self.allPairs(survivors, ids)
        return "\(survivors.count) nodes back on the new seed with their IDs; \(count) requests answered"
    }

    /// The ring, the map and the circle, with the links recorded before the kill.
    func topology() -> DemoTopology {
        DemoTopology(
            nodes: processes.map { process in
                let id = ids[process.index]
                let position = positions[process.index]
                return DemoTopology.Node(
                    label: "\(process.index + 1) \(id.prefix(6))", ringPosition: UInt64(id.prefix(16), radix: 16) ?? 0,
                    x: position.x, y: position.y, killed: process.index == victim,
                    insideCircle: hypot(position.x - circle.x, position.y - circle.y) <= circle.radius)
            },
            links: links, circle: circle)
    }

    /// Asks every node process to quit and stops the seed.
    func stop() async {
        for process in processes { _ = try? await process.command("quit", timeout: .seconds(3)) }
        await seed?.stop()
    }

    /// Kills whatever node processes are left (on every way out of the demo).
    func killAll() {
        processes.forEach { $0.kill() }
    }

    /// Every node asks every other node (one task per sender); returns the number of answers and the slowest in ms.
    static func allPairs(_ processes: [DemoNodeProcess], _ ids: [String]) async throws -> (Int, Int) {
        try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for sender in processes {
                group.addTask {
                    var (answered, slowest) = (0, 0)
                    for target in processes where target.index != sender.index {
                        let text = "hi-\(sender.index)-\(target.index)"
                        let reply = try await retrying { try await sender.command("request \(ids[target.index]) echo \(text)") }
                        guard reply["text"] as? String == text else { throw DemoFailure("wrong echo: \(reply)") }
                        answered += 1
                        slowest = max(slowest, reply["milliseconds"] as? Int ?? Int((reply["milliseconds"] as? Double) ?? 0))
                    }
                    return (answered, slowest)
                }
            }
            return try await group.reduce((0, 0)) { ($0.0 + $1.0, max($0.1, $1.1)) }
        }
    }

    /// Runs `body` until it succeeds: at most 60 attempts 250 ms apart, while the ring settles.
    static func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var lastError: (any Error)?
        for _ in 0..<60 {
            do { return try await body() } catch { lastError = error }
            try await Task.sleep(for: .milliseconds(250))
        }
        throw DemoFailure("gave up after 60 attempts: \(lastError.map { "\($0)" } ?? "?")")
    }
}
