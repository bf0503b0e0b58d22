import ArgumentParser
import Colonio
import ColonioCore
import ColonioSeed
import Foundation
import Logging

/// `colonio demo`: an embedded seed and real nodes — separate `colonio node` processes — over WebRTC on
/// loopback; every feature exercised, a summary table, `demo-topology.svg`, exit code 0 only if every
/// step did what it should.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start an embedded seed and real WebRTC node processes on loopback and exercise every feature.",
        discussion: """
            Starts `colonio node` processes that join one network, then checks messaging between all of them, \
            KVS writes, reads and conditional writes from different nodes, location pub/sub on a map, a node \
            killed with SIGKILL while the rest repair, and the seed restarted while the nodes return to it under \
            their IDs. Writes demo-topology.svg (the ring, the map and the circle).

            Examples:
              colonio demo
              colonio demo --nodes 12 --svg /tmp/topology.svg
            """
    )

    @Option(help: "How many node processes to start (3 to 32).")
    var nodes = 8

    @Option(help: "Where to write the topology picture.")
    var svg = "demo-topology.svg"

    @Flag(help: "Print the seed's log lines (warnings and above).")
    var verbose = false

    func validate() throws {
        guard (3...32).contains(nodes) else { throw ValidationError("--nodes must be between 3 and 32") }
    }

    func run() async throws {
        var logger = Logger(label: "colonio.demo")
        logger.logLevel = verbose ? .warning : .critical
        var report = DemoReport()
        let demo = DemoRun(nodes: nodes, logger: logger)
        defer { demo.killAll() }

        try await report.step("start embedded seed") { try await demo.startSeed() }
        try await report.step("start \(nodes) colonio node processes") { try await demo.startNodes() }
        try await report.step("ring forms (every node linked)") { try await demo.waitForRing() }
        try await report.step("messaging between all pairs") { try await demo.messageAllPairs() }
        try await report.step("KVS: writes, reads, conditional writes from different nodes") { try await demo.exerciseKVS() }
        try await report.step("location pub/sub on a 1000 x 1000 map") { try await demo.exercisePubSub() }
        try await demo.recordLinks()
        try await report.step("node killed (SIGKILL), network repairs") { try await demo.killOneNodeAndCheckRepair() }
        try await report.step("seed restarted, nodes return under their IDs") { try await demo.restartSeedAndCheckReturn() }
        let path = URL(fileURLWithPath: svg).standardizedFileURL.path
        try await report.step("write the topology picture") {
            try demo.topology().svg().write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        await demo.stop()
        report.printTable()
        print("Topology picture: \(path)")
        if !report.succeeded { throw ExitCode.failure }
    }
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

    /// Runs one step; `body` returns the detail for the table. A failed step prints the table and exits.
    mutating func step(_ name: String, _ body: () async throws -> String) async throws {
        Swift.print("▶ \(name)")
        let start = ContinuousClock.now
        do {
            let detail = try await body()
            rows.append((name, "ok", Int((ContinuousClock.now - start) / .milliseconds(1)), detail))
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
