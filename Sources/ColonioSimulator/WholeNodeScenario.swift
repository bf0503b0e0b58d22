import ColonioCore

/// `colonio simulate --whole-nodes`: a ``NodeSimulation`` (every node runs the ``NodeController`` of real
/// nodes, pub/sub and the KVS over the overlay) that grows to the requested size, converges, and is
/// checked exactly: ring lists, requests to random nodes, pub/sub receivers against a brute-force
/// distance computation, KVS writes read back from other nodes; then, with churn, again after crashes
/// and replacements.
public final class WholeNodeScenario {
    public typealias Check = ScenarioReport.Check

    public struct Phase: Sendable {
        public var name: String
        public var nodes: Int
        /// Virtual milliseconds until ring lists and geo neighbours were exact; `nil`: not within the limit.
        public var convergedAfterMilliseconds: UInt64?
        public var checks: [Check] = []
    }

    public struct Report: Sendable {
        public var phases: [Phase] = []
        public var virtualMilliseconds: UInt64 = 0
        public var events: UInt64 = 0
        public var frames: UInt64 = 0
        public var seedFrames: UInt64 = 0
        public var passed: Bool { phases.allSatisfy { $0.convergedAfterMilliseconds != nil && $0.checks.allSatisfy(\.passed) } }
    }

    public let options: ScenarioOptions
    public let simulation: NodeSimulation
    private var random: SplitMix64
    private var positions: [NodeID: Position] = [:]
    private let progress: (String, Double) -> Void
    private var round: UInt8 = 0
    /// Positions of the first nodes to join, and the points several of them share.
    private var plannedPositions: [Position] = []
    private var sharedPoints: [Position] = []

    public init(options: ScenarioOptions, progress: @escaping (String, Double) -> Void = { _, _ in }) {
        self.options = options
        self.progress = progress
        var configuration = SimulationConfiguration(seed: options.seed, lossRate: options.lossRate, tickIntervalMilliseconds: 500)
        configuration.space = options.space
        simulation = NodeSimulation(configuration: configuration)
        random = SplitMix64(seed: options.seed ^ 0x5EED_C0DE)
        if options.sharedPositionFraction > 0 {
            let shared = SharedPositions(
                count: options.nodeCount, sharedFraction: options.sharedPositionFraction, in: options.space, using: &random)
            plannedPositions = shared.positions.reversed()
            sharedPoints = shared.points
        }
    }

    public func run() -> Report {
        var report = Report()
        join(options.nodeCount, step: "joining")
        report.phases.append(settleAndCheck("initial"))
        if options.churnFraction > 0 {
            let count = Int((Double(options.nodeCount) * options.churnFraction).rounded())
            var victims = simulation.liveNodeIDs
            for index in stride(from: victims.count - 1, to: 0, by: -1) {
                victims.swapAt(index, Int(random.next() % UInt64(index + 1)))
            }
            for id in victims.prefix(count) {
                simulation.crash(id)
                positions[id] = nil
            }
            join(count, step: "churn: \(count) crashed, \(count) joining")
            report.phases.append(settleAndCheck("after churn"))
        }
        report.virtualMilliseconds = simulation.now.milliseconds(since: .zero)
        report.events = simulation.eventCount
        report.frames = simulation.framesSent
        report.seedFrames = simulation.seedFrames
        return report
    }

    private func join(_ count: Int, step: String) {
        let gap = Swift.max(1, 1_000 / UInt64(Swift.max(1, options.joinRate)))
        for index in 0..<count {
            let position = plannedPositions.popLast() ?? randomPosition()
            let id = simulation.addNode(position: position, topics: [ScenarioOptions.topic])
            positions[id] = position
            simulation.run(for: gap)
            if index % Swift.max(1, count / 100) == 0 { progress(step, Double(index) / Double(count)) }
        }
    }

    private func randomPosition() -> Position {
        SimulationScenario.randomPosition(in: options.space, using: &random)
    }

    private func wrongGeoNeighbours(_ ids: [NodeID], _ graph: [[Int]]) -> Int {
        var wrong = 0
        for (index, id) in ids.enumerated() {
            let expected = Set(graph[index].map { ids[$0] })
            let actual = Set(simulation.controller(of: id)?.session?.geo.neighbours.keys.map { $0 } ?? [])
            if actual != expected { wrong += 1 }
        }
        return wrong
    }

    private func settleAndCheck(_ name: String) -> Phase {
        round += 1
        let ids = simulation.liveNodeIDs
        let graph = SiteLinks.graph(ids: ids, positions: ids.map { positions[$0]! }, in: options.space)
        var phase = Phase(name: name, nodes: ids.count)
        let start = simulation.now
        let limit = options.convergenceLimitMilliseconds
        while simulation.now.milliseconds(since: start) < limit {
            simulation.run(for: 1_000)
            let elapsed = simulation.now.milliseconds(since: start)
            progress("converging (virtual \(elapsed / 1_000) s)", Double(elapsed) / Double(limit))
            if simulation.nodesWithWrongNeighbours().isEmpty, wrongGeoNeighbours(ids, graph) == 0 {
                phase.convergedAfterMilliseconds = elapsed
                break
            }
        }
        let wrongRing = simulation.nodesWithWrongNeighbours().count
        phase.checks.append(Check(name: "ring lists exact", passed: wrongRing == 0, detail: "\(wrongRing) of \(ids.count) wrong"))
        let wrongGeo = wrongGeoNeighbours(ids, graph)
        phase.checks.append(Check(name: "geo neighbours = Delaunay neighbours", passed: wrongGeo == 0, detail: "\(wrongGeo) of \(ids.count) wrong"))
        progress("checking requests", 0)
        phase.checks.append(checkRequests(ids))
        progress("checking pub/sub", 0)
        phase.checks.append(checkPubSub(ids))
        progress("checking the KVS", 0)
        phase.checks.append(checkKVS(ids))
        return phase
    }

    private func pick(_ ids: [NodeID]) -> NodeID { ids[Int(random.next() % UInt64(ids.count))] }

    private func checkRequests(_ ids: [NodeID]) -> Check {
        simulation.deliveries.removeAll()
        var expected: [UInt64: NodeID] = [:]
        let count = 200
        for tag in 0..<UInt64(count) {
            let target = pick(ids)
            expected[tag] = target
            var payload = WireWriter()
            payload.writeVarint(tag)
            _ = try? simulation.request(from: pick(ids), payload: payload.bytes, to: .node(target))
        }
        simulation.run(for: 20_000)
        var succeeded = 0
        var wrong = 0
        for delivery in simulation.deliveries {
            switch delivery {
            case .message(let receiver, let message):
                var reader = WireReader(message.payload)
                if let tag = try? reader.readVarint(), expected[tag] != receiver { wrong += 1 }
            case .completed(_, _, .response): succeeded += 1
            case .completed: break
            }
        }
        simulation.deliveries.removeAll()
        return Check(
            name: "requests reach exactly their node", passed: succeeded == count && wrong == 0,
            detail: "\(succeeded) of \(count) answered, \(wrong) at a wrong node")
    }

    private func checkPubSub(_ ids: [NodeID]) -> Check {
        let geometry = options.space
        var expectedTotal = 0
        var missing = 0
        var extra = 0
        var duplicates = 0
        // Each shared point alone (radius 0), then random circles.
        let circles = sharedPoints.count
        for publication in 0..<(20 + circles) {
            let shared = publication < circles
            let center = shared ? sharedPoints[publication] : randomPosition()
            let scale: Double = switch geometry {
            case .plane(let width, _), .torus(let width, _): width
            case .sphere(let radius): radius
            }
            let radius = shared ? 0 : scale * Double(2 + publication % 8) / 100
            let publisher = pick(ids)
            simulation.spreadArrivals.removeAll()
            _ = try? simulation.publish(from: publisher, topic: ScenarioOptions.topic, payload: [round, UInt8(truncatingIfNeeded: publication)], center: center, radius: radius)
            simulation.run(for: 5_000)
            let inside = Set(ids.filter { $0 != publisher && geometry.distance(positions[$0]!, center) <= radius })
            let received = simulation.spreadArrivals.filter { $0.delivery.payload == [round, UInt8(truncatingIfNeeded: publication)] }.map(\.receiver)
            expectedTotal += inside.count
            missing += inside.subtracting(received).count
            extra += Set(received).subtracting(inside).count
            duplicates += received.count - Set(received).count
        }
        simulation.spreadArrivals.removeAll()
        return Check(
            name: "pub/sub reaches every subscriber inside once, none outside",
            passed: missing == 0 && extra == 0 && duplicates == 0,
            detail: "\(expectedTotal) expected, \(missing) missing, \(extra) outside, \(duplicates) twice")
    }

    private func checkKVS(_ ids: [NodeID]) -> Check {
        simulation.kvsCompletions.removeAll()
        let count = 50
        for key in 0..<count {
            _ = try? simulation.startKVS(.put([round, UInt8(key)], condition: .none), key: "r\(round)/\(key)", at: pick(ids))
        }
        simulation.run(for: 10_000)
        let written = simulation.kvsCompletions.filter { if case .success = $0.result { true } else { false } }.count
        simulation.kvsCompletions.removeAll()
        for key in 0..<count {
            _ = try? simulation.startKVS(.get, key: "r\(round)/\(key)", at: pick(ids))
        }
        simulation.run(for: 10_000)
        var readBack = 0
        for completion in simulation.kvsCompletions {
            if case .success(let value?) = completion.result, value.bytes.first == round { readBack += 1 }
        }
        simulation.kvsCompletions.removeAll()
        return Check(
            name: "KVS writes acknowledged and read back from other nodes", passed: written == count && readBack == count,
            detail: "\(written) of \(count) written, \(readBack) read back")
    }
}
