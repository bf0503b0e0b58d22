import ArgumentParser
import Colonio
import ColonioCore
import ColonioSeed
import Foundation
import Logging

/// `colonio demo`: an embedded seed and real nodes over WebRTC on loopback, every feature exercised,
/// a summary table, exit code 0 only if every step did what it should.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start an embedded seed and real WebRTC nodes on loopback and exercise every feature.",
        discussion: "Example: colonio demo --nodes 8"
    )

    @Option(help: "How many nodes to start (2 to 32).")
    var nodes = 8

    @Flag(help: "Print the nodes' own log lines (warnings and above).")
    var verbose = false

    func validate() throws {
        guard (2...32).contains(nodes) else { throw ValidationError("--nodes must be between 2 and 32") }
    }

    func run() async throws {
        var logger = Logger(label: "colonio.demo")
        logger.logLevel = verbose ? .warning : .critical
        var report = DemoReport()

        let seedConfiguration = SeedConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "",
            networks: [NetworkDefinition(name: "demo", tokens: ["demo-token"])])
        let seed = try await report.step("start embedded seed") {
            let seed = try await EmbeddedSeed.start(configuration: seedConfiguration, logger: logger)
            return (seed, "listening at \(seed.url)")
        }

        var running: [(node: ColonioNode, id: NodeID)] = []
        _ = try await report.step("start \(nodes) nodes over WebRTC") {
            for index in 0..<nodes {
                let node = ColonioNode(options: ColonioNodeOptions(loopbackOnly: true), logger: logger)
                try await node.connect(seed: seed.url, network: "demo", token: "demo-token")
                guard let id = await node.nodeID else { throw DemoFailure("node \(index) has no ID") }
                let hex = id.hex
                await node.handle("hello") { message in Array("\(hex) got \(message.payload.count) bytes".utf8) }
                running.append((node, id))
                print("  node \(index + 1)/\(nodes) signed in as \(hex.prefix(8))…")
            }
            return ((), "\(running.count) nodes signed in")
        }

        _ = try await report.step("ring forms (every node linked)") {
            for _ in 0..<150 {
                var linked = 0
                for entry in running where await !entry.node.linkedPeers.isEmpty { linked += 1 }
                if linked == running.count { return ((), "all \(linked) nodes have links") }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw DemoFailure("some nodes have no links after 15 s")
        }

        _ = try await report.step("messaging between all pairs") {
            let (count, slowest) = try await Self.allPairs(running)
            return ((), "\(count) requests answered, slowest \(slowest) ms")
        }

        _ = try await report.step("owner of a key agrees everywhere") {
            var owners = Set<String>()
            for entry in running {
                let reply = try await Self.request(from: entry.node, toOwnerOf: "demo-key")
                owners.insert(String(decoding: reply.prefix(32), as: UTF8.self))
            }
            guard owners.count == 1, let owner = owners.first else { throw DemoFailure("owners disagree: \(owners)") }
            return ((), "every node reached \(owner.prefix(8))…")
        }

        _ = try await report.step("location pub/sub on a 1000 x 1000 map") {
            let inbox = DemoInbox()
            var readers: [Task<Void, Never>] = []
            for (index, entry) in running.enumerated() {
                // Nodes on a circle of radius 400 around the map's centre.
                let angle = Double(index) / Double(running.count) * 2 * Double.pi
                try await entry.node.setPosition(Position(x: 500 + 400 * cos(angle), y: 500 + 400 * sin(angle)))
                let stream = await entry.node.subscribe(topic: "map")
                readers.append(Task { for await delivery in stream { await inbox.record(delivery.payload, at: index) } })
            }
            defer { readers.forEach { $0.cancel() } }
            // A circle of radius 100 around node 1: it is inside, every other node is at least 300 away.
            let center = Position(x: 500 + 400 * cos(2 * Double.pi / Double(running.count)),
                                  y: 500 + 400 * sin(2 * Double.pi / Double(running.count)))
            for round in 0..<40 {
                let payload: [UInt8] = [0xAB, UInt8(round)]
                try await running[running.count / 2].node.publish(payload, topic: "map", center: center, radius: 100)
                try await Task.sleep(for: .milliseconds(250))
                guard await inbox.count(of: payload, at: 1) == 1 else { continue }
                let outside = await inbox.totalExcept(index: 1)
                guard outside == 0 else { throw DemoFailure("\(outside) deliveries reached nodes outside the circle") }
                return ((), "subscriber inside got it once (round \(round + 1)); \(running.count - 1) outside got nothing")
            }
            throw DemoFailure("the subscriber inside the circle never received the message")
        }

        let written = try await report.step("KVS: writes, reads, conditional writes from different nodes") {
            var written: [String: KVSValue] = [:]
            for (index, entry) in running.enumerated() {
                let key = "player/\(index)"
                written[key] = try await Self.retrying { try await entry.node.kvs.put(key, Array("score \(index * 10)".utf8)) }
            }
            for (index, entry) in running.enumerated() {
                let key = "player/\((index + 1) % running.count)"
                guard try await entry.node.kvs.get(key) == written[key] else { throw DemoFailure("\(key) read wrong") }
            }
            let first = try await running[0].node.kvs.put("flag", Array("red".utf8), condition: .ifAbsent)
            var refused = 0
            for entry in running.dropFirst() {
                do {
                    try await entry.node.kvs.put("flag", Array("blue".utf8), condition: .ifAbsent)
                } catch ColonioError.conditionFailed(currentVersion: first.version) {
                    refused += 1
                }
            }
            guard refused == running.count - 1 else { throw DemoFailure("a second put-if-absent succeeded") }
            let swapped = try await running[1].node.kvs.put("flag", Array("green".utf8), condition: .ifVersion(first.version))
            written["flag"] = swapped
            return (written, "\(running.count) puts read back from other nodes; 1 put-if-absent won, "
                + "\(refused) refused; compare-and-set to version \(swapped.version)")
        }

        _ = try await report.step("node killed, network repairs") {
            let victim = running.remove(at: running.count / 2)
            await victim.node.disconnect()
            let (count, slowest) = try await Self.allPairs(running)
            var intact = 0
            for (offset, (key, value)) in written.sorted(by: { $0.key < $1.key }).enumerated() {
                let reader = running[offset % running.count].node
                guard try await Self.retrying({ try await reader.kvs.get(key) }) == value else {
                    throw DemoFailure("\(key) lost or wrong after the node left")
                }
                intact += 1
            }
            return ((), "\(victim.id.hex.prefix(8))… left; \(count) requests answered, slowest \(slowest) ms; "
                + "\(intact) KVS values intact")
        }

        for entry in running { await entry.node.disconnect() }
        await seed.stop()
        report.printTable()
        if !report.succeeded { throw ExitCode.failure }
    }

    /// Runs `body` until it succeeds: at most 50 attempts 200 ms apart, while the ring settles.
    static func retrying<T>(_ body: () async throws -> T) async throws -> T {
        var lastError: (any Error)?
        for _ in 0..<50 {
            do { return try await body() } catch { lastError = error }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DemoFailure("gave up after 50 attempts: \(lastError.map { "\($0)" } ?? "?")")
    }

    /// Every node asks every other node; returns the number of answers and the slowest in ms.
    static func allPairs(_ running: [(node: ColonioNode, id: NodeID)]) async throws -> (Int, Int) {
        var answered = 0
        var slowest = 0
        for sender in running {
            for target in running where target.id != sender.id {
                let start = ContinuousClock.now
                let reply = try await request(from: sender.node, to: target.id)
                guard String(decoding: reply, as: UTF8.self).hasPrefix(target.id.hex) else {
                    throw DemoFailure("wrong node answered for \(target.id.hex)")
                }
                answered += 1
                slowest = max(slowest, Int((ContinuousClock.now - start) / .milliseconds(1)))
            }
        }
        return (answered, slowest)
    }

    /// Asks `node` to send a request to `destination` (or the owner of `key`), retrying while the ring
    /// settles: at most 50 attempts 200 ms apart. Parameters, not closures, carry the node ID: a Swift 6.3
    /// miscompile corrupts UInt128 values captured by async closures (docs/toolchain-bugs).
    static func request(from node: ColonioNode, to destination: NodeID? = nil, toOwnerOf key: String = "") async throws -> [UInt8] {
        var lastError: ColonioError?
        for _ in 0..<50 {
            do {
                if let destination {
                    return try await node.request([1, 2, 3], to: destination, name: "hello")
                }
                return try await node.request([], toOwnerOf: key, name: "hello")
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DemoFailure("gave up after 50 attempts: \(lastError.map { "\($0)" } ?? "?")")
    }
}

/// What each node (by index) received from pub/sub.
actor DemoInbox {
    private var received: [Int: [[UInt8]]] = [:]
    func record(_ payload: [UInt8], at index: Int) { received[index, default: []].append(payload) }
    func count(of payload: [UInt8], at index: Int) -> Int { received[index, default: []].filter { $0 == payload }.count }
    func totalExcept(index: Int) -> Int { received.filter { $0.key != index }.map(\.value.count).reduce(0, +) }
}

/// A demo step that did not do what it should.
struct DemoFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The rows of the demo's summary table.
struct DemoReport {
    private var rows: [(step: String, status: String, milliseconds: Int?, detail: String)] = []
    private(set) var succeeded = true

    mutating func step<T>(_ name: String, _ body: () async throws -> (T, String)) async throws -> T {
        Swift.print("▶ \(name)")
        let start = ContinuousClock.now
        do {
            let (value, detail) = try await body()
            rows.append((name, "ok", Int((ContinuousClock.now - start) / .milliseconds(1)), detail))
            return value
        } catch {
            rows.append((name, "FAILED", Int((ContinuousClock.now - start) / .milliseconds(1)), "\(error)"))
            succeeded = false
            Swift.print()
            printTable()
            throw ExitCode.failure
        }
    }

    mutating func skip(_ name: String, reason: String) {
        rows.append((name, "skipped", nil, reason))
    }

    func printTable() {
        let width = rows.map(\.step.count).max() ?? 10
        Swift.print("\n" + "step".padding(toLength: width, withPad: " ", startingAt: 0) + "  result   time      detail")
        for row in rows {
            let time = row.milliseconds.map { "\($0) ms" } ?? "-"
            Swift.print(row.step.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                + row.status.padding(toLength: 7, withPad: " ", startingAt: 0) + "  "
                + time.padding(toLength: 8, withPad: " ", startingAt: 0) + "  " + row.detail)
        }
        Swift.print(succeeded ? "\nDemo succeeded." : "\nDemo FAILED.")
    }
}
