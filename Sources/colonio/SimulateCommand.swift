import ArgumentParser
import ColonioCore
import ColonioSimulator
import Foundation

/// `colonio simulate`: the real state machines (ring, pub/sub, KVS) of many nodes on an in-memory network
/// with a virtual clock, checked exactly; exit code 0 only if every check passed.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a network of nodes on a virtual clock, check it exactly, and draw it as SVG.",
        discussion: """
            Every node runs the core's state machines (NodeMachine with the ring, GeoInstance, KVSInstance) on \
            an in-memory transport with 5-30 ms links; everything random follows --seed. Build with \
            `-c release` for large networks: swift run -c release colonio simulate --nodes 10000 --space sphere
            """
    )

    @Option(help: "Number of nodes (2 to 100000).")
    var nodes = 1_000

    @Option(help: "Pub/sub space: plane (1000 x 1000), sphere (the Earth) or torus (1000 x 1000).")
    var space = "plane"

    @Option(name: [.customLong("random-seed"), .customLong("seed")], help: "Seed of every random choice (--seed is the older name).")
    var seed: UInt64 = 1

    @Option(help: "Share of nodes that crash and are replaced after the first checks, e.g. 10%.")
    var churn = "0%"

    @Option(help: "Share of frames the transport drops, e.g. 1%.")
    var loss = "0%"

    @Option(help: "Share of nodes placed on points shared with others (a crowd of 50, small groups at the poles, the date line, the seams, corners), e.g. 10%.")
    var sharedPositions = "0%"

    @Flag(help: "Nodes find their pub/sub neighbours from their ring neighbours, as real nodes do, instead of being introduced to them by the simulated seed.")
    var ringContacts = false

    @Flag(help: "Run whole nodes: every node runs the node controller of real nodes (links with signaling and hello, seed session, KVS coordinator, pub/sub over the overlay) on a simulated seed; no pictures.")
    var wholeNodes = false

    @Option(help: "Folder for the SVG pictures.")
    var out = "."

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    func validate() throws {
        guard (2...100_000).contains(nodes) else { throw ValidationError("--nodes must be between 2 and 100000") }
        guard ScenarioOptions.space(named: space) != nil else {
            throw ValidationError("--space must be plane, sphere or torus")
        }
        guard let churnFraction = Self.fraction(churn), churnFraction < 1 else {
            throw ValidationError("--churn must be a percentage below 100%, e.g. 10%")
        }
        guard let lossFraction = Self.fraction(loss), lossFraction < 0.5 else {
            throw ValidationError("--loss must be a percentage below 50%, e.g. 1%")
        }
        guard let sharedFraction = Self.fraction(sharedPositions), sharedFraction <= 1 else {
            throw ValidationError("--shared-positions must be a percentage up to 100%, e.g. 10%")
        }
        _ = (churnFraction, lossFraction, sharedFraction)
    }

    /// "10%" or "0.1" as a fraction.
    static func fraction(_ text: String) -> Double? {
        if text.hasSuffix("%") {
            guard let percent = Double(text.dropLast()), percent >= 0 else { return nil }
            return percent / 100
        }
        guard let value = Double(text), value >= 0 else { return nil }
        return value
    }

    func run() throws {
        if wholeNodes { return try runWholeNodes() }
        var options = ScenarioOptions(nodeCount: nodes, space: ScenarioOptions.space(named: space)!, seed: seed)
        options.churnFraction = Self.fraction(churn)!
        options.lossRate = Self.fraction(loss)!
        options.sharedPositionFraction = Self.fraction(sharedPositions)!
        options.geoContactsFromRing = ringContacts
        let bar = ProgressBar()
        let started = Date()
        let scenario = SimulationScenario(options: options) { step, fraction in bar.show(step, fraction) }
        let report = scenario.run()
        bar.finish()

        let folder = URL(fileURLWithPath: out, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let ringFile = folder.appendingPathComponent("colonio-ring.svg")
        let spaceFile = folder.appendingPathComponent("colonio-\(space).svg")
        try scenario.ringPicture().write(to: ringFile, atomically: true, encoding: .utf8)
        try scenario.spacePicture().write(to: spaceFile, atomically: true, encoding: .utf8)
        let wallSeconds = Date().timeIntervalSince(started)

        if json {
            print(Self.json(report, options: options, space: space, wallSeconds: wallSeconds,
                            pictures: [ringFile.path, spaceFile.path]))
        } else {
            Self.printText(report, options: options, wallSeconds: wallSeconds, pictures: [ringFile.path, spaceFile.path])
        }
        if !report.passed { throw ExitCode.failure }
    }

    private static func printText(_ report: ScenarioReport, options: ScenarioOptions, wallSeconds: Double, pictures: [String]) {
        print("colonio simulate: \(options.nodeCount) nodes, seed \(options.seed), churn \(format(options.churnFraction * 100))%, "
              + "loss \(format(options.lossRate * 100))%, pub/sub contacts from "
              + (options.geoContactsFromRing ? "ring neighbours" : "the seed"))
        for phase in report.phases {
            let converged = phase.convergedAfterMilliseconds.map { "\(format(Double($0) / 1000)) s (virtual)" } ?? "NOT within the limit"
            print("\n\(phase.name): \(phase.nodes) nodes")
            print("  converged after   \(converged)")
            print("  hops              mean \(format(phase.meanHops)), max \(phase.maximumHops)")
            print("  links per node    mean \(format(phase.meanLinks)), max \(phase.maximumLinks)")
            print("  geo neighbours    mean \(format(phase.meanGeoNeighbours)), max \(phase.maximumGeoNeighbours)")
            for check in phase.checks {
                print("  \(check.passed ? "ok    " : "FAILED") \(check.name): \(check.detail)")
            }
        }
        print("\nvirtual time \(format(Double(report.virtualMilliseconds) / 1000)) s, \(report.events) events, "
              + "\(report.frames) frames (\(report.spreadPackets) pub/sub), wall time \(format(wallSeconds)) s")
        print("pictures: " + pictures.joined(separator: ", "))
        print(report.passed ? "All checks passed." : "Some checks FAILED.")
    }

    private static func json(
        _ report: ScenarioReport, options: ScenarioOptions, space: String, wallSeconds: Double, pictures: [String]
    ) -> String {
        func quoted(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let phases = report.phases.map { phase in
            let checks = phase.checks.map {
                "{\"name\":\(quoted($0.name)),\"passed\":\($0.passed),\"detail\":\(quoted($0.detail))}"
            }
            return "{\"name\":\(quoted(phase.name)),\"nodes\":\(phase.nodes),"
                + "\"convergedAfterVirtualMilliseconds\":\(phase.convergedAfterMilliseconds.map(String.init) ?? "null"),"
                + "\"hops\":{\"mean\":\(format(phase.meanHops)),\"max\":\(phase.maximumHops)},"
                + "\"linksPerNode\":{\"mean\":\(format(phase.meanLinks)),\"max\":\(phase.maximumLinks)},"
                + "\"geoNeighboursPerNode\":\(format(phase.meanGeoNeighbours)),"
                + "\"geoNeighboursPerNodeMax\":\(phase.maximumGeoNeighbours),"
                + "\"checks\":[\(checks.joined(separator: ","))]}"
        }
        return "{\"nodes\":\(options.nodeCount),\"space\":\(quoted(space)),\"seed\":\(options.seed),"
            + "\"churn\":\(format(options.churnFraction)),\"loss\":\(format(options.lossRate)),"
            + "\"ringContacts\":\(options.geoContactsFromRing),"
            + "\"passed\":\(report.passed),\"phases\":[\(phases.joined(separator: ","))],"
            + "\"virtualMilliseconds\":\(report.virtualMilliseconds),\"events\":\(report.events),"
            + "\"frames\":\(report.frames),\"spreadPackets\":\(report.spreadPackets),\"wallSeconds\":\(format(wallSeconds)),"
            + "\"pictures\":[\(pictures.map(quoted).joined(separator: ","))]}"
    }

    private func runWholeNodes() throws {
        var options = ScenarioOptions(nodeCount: nodes, space: ScenarioOptions.space(named: space)!, seed: seed)
        options.churnFraction = Self.fraction(churn)!
        options.lossRate = Self.fraction(loss)!
        options.sharedPositionFraction = Self.fraction(sharedPositions)!
        let bar = ProgressBar()
        let started = Date()
        let report = WholeNodeScenario(options: options) { step, fraction in bar.show(step, fraction) }.run()
        bar.finish()
        let wallSeconds = Date().timeIntervalSince(started)
        if json {
            let phases = report.phases.map { phase in
                let checks = phase.checks.map { "{\"name\":\"\($0.name)\",\"passed\":\($0.passed),\"detail\":\"\($0.detail)\"}" }
                return "{\"name\":\"\(phase.name)\",\"nodes\":\(phase.nodes),"
                    + "\"convergedAfterVirtualMilliseconds\":\(phase.convergedAfterMilliseconds.map(String.init) ?? "null"),"
                    + "\"checks\":[\(checks.joined(separator: ","))]}"
            }
            print("{\"wholeNodes\":true,\"nodes\":\(nodes),\"space\":\"\(space)\",\"seed\":\(seed),\"passed\":\(report.passed),"
                  + "\"phases\":[\(phases.joined(separator: ","))],\"virtualMilliseconds\":\(report.virtualMilliseconds),"
                  + "\"events\":\(report.events),\"frames\":\(report.frames),\"seedFrames\":\(report.seedFrames),"
                  + "\"wallSeconds\":\(Self.format(wallSeconds))}")
        } else {
            print("colonio simulate --whole-nodes: \(nodes) nodes, seed \(seed), churn \(Self.format(options.churnFraction * 100))%, "
                  + "loss \(Self.format(options.lossRate * 100))%")
            for phase in report.phases {
                let converged = phase.convergedAfterMilliseconds.map { "\(Self.format(Double($0) / 1000)) s (virtual)" } ?? "NOT within the limit"
                print("\n\(phase.name): \(phase.nodes) nodes, converged after \(converged)")
                for check in phase.checks { print("  \(check.passed ? "ok    " : "FAILED") \(check.name): \(check.detail)") }
            }
            print("\nvirtual time \(Self.format(Double(report.virtualMilliseconds) / 1000)) s, \(report.events) events, "
                  + "\(report.frames) link frames, \(report.seedFrames) seed frames, wall time \(Self.format(wallSeconds)) s")
            print(report.passed ? "All checks passed." : "Some checks FAILED.")
        }
        if !report.passed { throw ExitCode.failure }
    }

    private static func format(_ value: Double) -> String {
        String(format: "%.2f", value)
    }
}

/// A one-line progress bar on standard error, redrawn only when it changes.
final class ProgressBar {
    private var last = ""

    func show(_ step: String, _ fraction: Double) {
        let clamped = min(max(fraction, 0), 1)
        let filled = Int(clamped * 30)
        let line = "[" + String(repeating: "#", count: filled) + String(repeating: " ", count: 30 - filled) + "] "
            + String(format: "%3d%%", Int(clamped * 100)) + " " + step
        guard line != last else { return }
        last = line
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
