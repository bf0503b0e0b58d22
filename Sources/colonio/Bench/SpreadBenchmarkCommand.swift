import ArgumentParser
import ColonioCore
import ColonioSimulator
import Foundation

/// `colonio bench spread`: location pub/sub in the simulator — delivery latency (virtual, with the
/// simulator's 5-30 ms links) and spread messages sent per delivery, for circles of several radii —
/// and the real one-way delivery latency between nodes over WebRTC on loopback.
struct SpreadBenchmarkCommand: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "spread",
        abstract: "Pub/sub delivery latency and messages per delivery versus radius: simulated and real nodes.",
        discussion: "Example: swift run -c release colonio bench spread --nodes 1000 10000 --real-nodes 16"
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Network sizes to simulate.")
    var nodes: [Int] = [1_000, 10_000]

    @Option(help: "Pub/sub space: plane, sphere or torus.")
    var space = "plane"

    @Option(name: .long, parsing: .upToNextOption, help: "Circle radii as fractions of the space's width (sphere: of its radius).")
    var radii: [Double] = [0.02, 0.05, 0.1, 0.2]

    @Option(help: "Publications per radius, from random nodes to random centres.")
    var publications = 20

    @Option(help: "Seed of the simulation's random choices.")
    var seed: UInt64 = 1

    @Option(help: "Real nodes over WebRTC on a 1000 x 1000 plane (0: skip).")
    var realNodes = 16

    @Option(name: .long, parsing: .upToNextOption, help: "Real circles' radii (plane units).")
    var realRadii: [Double] = [100, 200, 400]

    @OptionGroup var output: BenchOutputOptions

    mutating func validate() throws {
        guard nodes.allSatisfy({ $0 >= 2 }) else { throw ValidationError("--nodes values must be at least 2") }
        guard ScenarioOptions.space(named: space) != nil else { throw ValidationError("--space must be plane, sphere or torus") }
        guard realNodes == 0 || (2...64).contains(realNodes) else { throw ValidationError("--real-nodes must be 0 or 2 to 64") }
        guard publications >= 1, radii.allSatisfy({ $0 > 0 }), realRadii.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--publications, --radii and --real-radii must be positive")
        }
    }

    func figures() async throws -> String {
        let started = Date()
        var results: [String] = []
        for count in nodes {
            let networkStarted = Date()
            let figures = SpreadBenchmark.measure(
                nodeCount: count, space: ScenarioOptions.space(named: space)!, radiusFractions: radii,
                publications: publications, seed: seed &+ UInt64(count))
            results.append(json(figures, wallSeconds: Date().timeIntervalSince(networkStarted)))
        }
        let simulation = "{\"space\":\"\(space)\",\"seed\":\(seed),\"linkDelayMilliseconds\":\"5-30\","
            + "\"results\":[\(results.joined(separator: ","))],"
            + "\"wallSeconds\":\(format(Date().timeIntervalSince(started)))}"
        var json = "{\"benchmark\":\"spread\",\"cores\":\(ProcessStatus.allowedCores()),\"simulation\":\(simulation)"
        if realNodes > 0 {
            json += ",\"real\":" + (try await SpreadRealMeasurement.run(nodes: realNodes, radii: realRadii, publications: publications))
        }
        return json + "}"
    }

    private func json(_ figures: SpreadBenchmark.Figures, wallSeconds: Double) -> String {
        let rows = figures.radii.map { row in
            "{\"radiusFraction\":\(row.fraction),\"radius\":\(format(row.radius)),\"publications\":\(row.publications),"
                + "\"receiversExpected\":\(row.receiversExpected),\"deliveries\":\(row.deliveries),"
                + "\"latencyVirtualMilliseconds\":{\"p50\":\(row.latencyP50),\"p99\":\(row.latencyP99),"
                + "\"max\":\(row.latencyMaximum)},"
                + "\"hops\":{\"p50\":\(row.hopsP50),\"p99\":\(row.hopsP99)},"
                + "\"messagesSent\":\(row.messagesSent),\"messagesPerDelivery\":\(format(row.messagesPerDelivery))}"
        }
        return "{\"nodes\":\(figures.nodes),"
            + "\"convergedAfterVirtualMilliseconds\":\(figures.convergedAfterMilliseconds.map(String.init) ?? "null"),"
            + "\"radii\":[\(rows.joined(separator: ","))],\"wallSeconds\":\(format(wallSeconds))}"
    }

    private func format(_ value: Double) -> String {
        String(format: "%.3f", value)
    }
}
