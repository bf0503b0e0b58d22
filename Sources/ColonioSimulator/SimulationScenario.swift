import ColonioCore
import Foundation

/// The `colonio simulate` run: a network of ``Simulation`` nodes with ring, pub/sub and KVS joins,
/// converges, and is checked exactly — ring neighbour lists, routing to sampled nodes and key owners,
/// geo neighbours against the links of the global Delaunay graph of sites (``SiteLinks``), pub/sub circles, KVS writes read back — then,
/// with churn, loses and gains nodes and is checked again after repair.
public final class SimulationScenario {
    /// What runs.
    public let options: ScenarioOptions
    /// The network.
    public let simulation: Simulation
    /// The circle drawn in the space picture: the first one checked, with its receivers.
    public private(set) var pictureCircle: (center: Position, radius: Double, receivers: Set<NodeID>)?

    private var random: SplitMix64
    private let progress: (String, Double) -> Void
    private var graphNodes: [NodeID] = []
    /// The geo links every node should have (``SiteLinks/graph(ids:positions:in:)``).
    private var expectedGeo: [[Int]]?
    private var round = 0
    /// Positions of the first nodes to join, and the points several of them share.
    private var plannedPositions: [Position] = []
    private var sharedPoints: [Position] = []

    /// Creates the scenario; `progress` hears the current step and its completed fraction (0...1).
    public init(options: ScenarioOptions, progress: @escaping (String, Double) -> Void = { _, _ in }) {
        self.options = options
        self.progress = progress
        var configuration = SimulationConfiguration(
            seed: options.seed, lossRate: options.lossRate, tickIntervalMilliseconds: 500)
        configuration.space = options.space
        // By default a seed that knows positions introduces each node to its Delaunay neighbours:
        // discovery from ring contacts alone (the node shell's way) converges too, at several times the
        // pub/sub traffic and simulation time while 1,000 nodes join per second.
        configuration.geoContactsFromRing = options.geoContactsFromRing
        simulation = Simulation(configuration: configuration)
        random = SplitMix64(seed: options.seed ^ 0x5EED_C0DE)
        if options.sharedPositionFraction > 0 {
            let shared = SharedPositions(
                count: options.nodeCount, sharedFraction: options.sharedPositionFraction, in: options.space, using: &random)
            plannedPositions = shared.positions.reversed()
            sharedPoints = shared.points
        }
    }

    /// Runs everything and reports.
    public func run() -> ScenarioReport {
        var report = ScenarioReport()
        join(options.nodeCount, step: "joining")
        report.phases.append(settleAndCheck("initial"))
        if options.churnFraction > 0 {
            let count = Int((Double(options.nodeCount) * options.churnFraction).rounded())
            var victims = simulation.liveNodeIDs
            shuffle(&victims)
            for id in victims.prefix(count) { simulation.crash(id) }
            join(count, step: "churn: \(count) crashed, \(count) joining")
            report.phases.append(settleAndCheck("after churn"))
        }
        report.virtualMilliseconds = simulation.now.milliseconds
        report.events = simulation.eventCount
        report.frames = simulation.framesSent
        report.spreadPackets = simulation.spreadPacketsSent
        return report
    }

    // MARK: - Population

    /// Adds `count` nodes at random positions, `joinRate` per virtual second.
    public func join(_ count: Int, step: String) {
        let gap = Swift.max(1, 1_000 / UInt64(Swift.max(1, options.joinRate)))
        for index in 0..<count {
            simulation.addNode(position: plannedPositions.popLast() ?? randomPosition(), topics: [ScenarioOptions.topic])
            simulation.run(for: gap)
            if index % Swift.max(1, count / 100) == 0 { progress(step, Double(index) / Double(count)) }
        }
        if !options.geoContactsFromRing { simulation.introduceGeoNeighbours() }
        progress(step, 1)
    }

    /// A uniformly random position in the space (uniform over the sphere's surface).
    public func randomPosition() -> Position {
        Self.randomPosition(in: options.space, using: &random)
    }

    static func randomPosition(in space: CoordinateSpace, using random: inout SplitMix64) -> Position {
        switch space {
        case .plane(let width, let height), .torus(let width, let height):
            return Position(x: Double.random(in: 0..<width, using: &random), y: Double.random(in: 0..<height, using: &random))
        case .sphere:
            let z = Double.random(in: -1...1, using: &random)
            return Position(latitude: asinDegrees(z), longitude: Double.random(in: -180..<180, using: &random))
        }
    }

    // MARK: - Convergence

    /// Runs until every live node's ring lists and geo neighbours are exact, at most
    /// ``ScenarioOptions/convergenceLimitMilliseconds``; returns the virtual time it took.
    public func converge() -> UInt64? {
        let start = simulation.now
        graphNodes = simulation.liveNodeIDs
        expectedGeo = SiteLinks.graph(
            ids: graphNodes, positions: graphNodes.map { simulation.position(of: $0)! }, in: options.space)
        let limit = options.convergenceLimitMilliseconds
        while simulation.now.milliseconds(since: start) < limit {
            simulation.run(for: 1_000)
            let elapsed = simulation.now.milliseconds(since: start)
            progress("converging (virtual \(elapsed / 1_000) s)", Double(elapsed) / Double(limit))
            if wrongGeoNeighbours() == 0, simulation.nodesWithWrongNeighbours().isEmpty { return elapsed }
        }
        return nil
    }

    /// Live nodes whose geo neighbours differ from their links in the Delaunay graph of sites among all
    /// live nodes (``SiteLinks``).
    public func wrongGeoNeighbours() -> Int {
        guard let expectedGeo else { return simulation.liveCount }
        var wrong = 0
        for (index, id) in graphNodes.enumerated() {
            let expected = Set(expectedGeo[index].map { graphNodes[$0] })
            if simulation.geoNeighbours(of: id) != expected { wrong += 1 }
        }
        return wrong
    }

    // MARK: - Checks

    private func settleAndCheck(_ name: String) -> ScenarioReport.Phase {
        round += 1
        let converged = converge()
        var phase = ScenarioReport.Phase(
            name: name, nodes: simulation.liveCount, convergedAfterMilliseconds: converged, meanHops: 0, maximumHops: 0,
            meanLinks: 0, maximumLinks: 0, meanGeoNeighbours: 0, spreadDelivered: 0, spreadExpected: 0, checks: [])
        progress("checking ring", 0)
        let wrongRing = simulation.nodesWithWrongNeighbours().count
        phase.checks.append(.init(
            name: "ring successor/predecessor lists exact", passed: wrongRing == 0,
            detail: "\(wrongRing) of \(simulation.liveCount) nodes wrong"))
        let links = simulation.linkCounts()
        phase.meanLinks = Double(links.reduce(0, +)) / Double(Swift.max(1, links.count))
        phase.maximumLinks = links.max() ?? 0
        let cap = Int(simulation.configuration.settings.maximumLinks)
        phase.checks.append(.init(
            name: "links per node within the cap", passed: phase.maximumLinks <= cap,
            detail: "max \(phase.maximumLinks), cap \(cap)"))
        progress("checking routing", 0.2)
        checkRouting(&phase)
        progress("checking geo neighbours", 0.4)
        let wrongGeo = wrongGeoNeighbours()
        let neighbourCounts = graphNodes.map { simulation.geoNeighbours(of: $0).count }
        phase.meanGeoNeighbours = Double(neighbourCounts.reduce(0, +)) / Double(Swift.max(1, neighbourCounts.count))
        phase.maximumGeoNeighbours = neighbourCounts.max() ?? 0
        phase.checks.append(.init(
            name: "geo neighbours = global Delaunay graph of sites", passed: wrongGeo == 0,
            detail: "\(wrongGeo) of \(graphNodes.count) nodes wrong"))
        progress("checking pub/sub", 0.6)
        checkSpread(&phase)
        progress("checking KVS", 0.8)
        checkKVS(&phase)
        progress("checked", 1)
        return phase
    }

    private func checkRouting(_ phase: inout ScenarioReport.Phase) {
        let nodes = simulation.liveNodeIDs
        simulation.deliveries.removeAll()
        var expected: [UInt64: NodeID] = [:]
        for index in 0..<options.routingSamples {
            let source = pick(nodes)
            let destination: Destination
            if index % 2 == 0 {
                let target = pick(nodes)
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
        // Until every request completed (answered or failed), within the requests' retry budget.
        runUntil(limit: options.lossRate > 0 ? 60_000 : 20_000) {
            var completed = 0
            for case .completed in self.simulation.deliveries { completed += 1 }
            return completed >= self.options.routingSamples
        }
        var hops: [Int] = []
        var wrong = 0
        var seen: Set<UInt64> = []
        for case .message(let receiver, let message) in simulation.deliveries {
            var reader = WireReader(message.payload)
            guard let tag = try? reader.readVarint(), let want = expected[tag] else { continue }
            // Requests are at-least-once: a retried one may arrive twice; judge each once.
            guard seen.insert(tag).inserted else { continue }
            if receiver == want { hops.append(Int(message.hopCount)) } else { wrong += 1 }
        }
        simulation.deliveries.removeAll()
        phase.meanHops = hops.isEmpty ? 0 : Double(hops.reduce(0, +)) / Double(hops.count)
        phase.maximumHops = hops.max() ?? 0
        phase.checks.append(.init(
            name: "routing to sampled nodes and key owners", passed: hops.count == options.routingSamples && wrong == 0,
            detail: "\(hops.count)/\(options.routingSamples) reached the right node, \(wrong) wrong receivers"))
    }

    /// Circles to publish: a few at the space's awkward places (date line, pole, seams), the rest random.
    private func circles() -> [(center: Position, radius: Double)] {
        var result: [(center: Position, radius: Double)] = []
        switch options.space {
        case .plane(let width, _):
            result.append((Position(x: 0, y: 0), width * 0.12))
        case .torus(let width, let height):
            result.append((Position(x: 1, y: 1), width * 0.1))
            result.append((Position(x: width - 2, y: height / 2), width * 0.08))
        case .sphere(let radius):
            result.append((Position(latitude: 10, longitude: 180), radius * 0.12))
            result.append((Position(latitude: 90, longitude: 0), radius * 0.15))
        }
        // Each shared point alone (radius 0) and with its surroundings.
        for point in sharedPoints {
            result.append((point, 0))
            switch options.space {
            case .plane(let width, _), .torus(let width, _): result.append((point, width * 0.02))
            case .sphere(let radius): result.append((point, radius * 0.02))
            }
        }
        while result.count < options.circles {
            let fraction = Double.random(in: 0.03...0.15, using: &random)
            switch options.space {
            case .plane(let width, _), .torus(let width, _): result.append((randomPosition(), width * fraction))
            case .sphere(let radius): result.append((randomPosition(), radius * fraction))
            }
        }
        return Array(result.prefix(options.circles))
    }

    private func checkSpread(_ phase: inout ScenarioReport.Phase) {
        let nodes = simulation.liveNodeIDs
        simulation.spreadArrivals.removeAll()
        simulation.spreadForwards.removeAll()
        var published: [(id: SpreadMessageID, center: Position, radius: Double)] = []
        for (index, circle) in circles().enumerated() {
            let publisher = pick(nodes)
            let payload: [UInt8] = [UInt8(truncatingIfNeeded: round), UInt8(truncatingIfNeeded: index)]
            guard let id = try? simulation.publish(
                from: publisher, topic: ScenarioOptions.topic, payload: payload, center: circle.center,
                radius: circle.radius)
            else { continue }
            published.append((id, circle.center, circle.radius))
        }
        // Until no forward was sent for a second (the flood is over), at most 10 s.
        var quietSince = simulation.now
        var forwards = -1
        runUntil(limit: 10_000) {
            let total = self.simulation.spreadForwards.values.reduce(0, +)
            if total != forwards {
                forwards = total
                quietSince = self.simulation.now
            }
            return self.simulation.now.milliseconds(since: quietSince) >= 1_000
        }
        var received: [SpreadMessageID: [NodeID: Int]] = [:]
        for arrival in simulation.spreadArrivals {
            received[arrival.delivery.id, default: [:]][arrival.receiver, default: 0] += 1
        }
        simulation.spreadArrivals.removeAll()
        var missing = 0, duplicated = 0, outside = 0, expectedTotal = 0, delivered = 0
        for (order, message) in published.enumerated() {
            let counts = received[message.id] ?? [:]
            var inside = Set<NodeID>()
            for node in nodes where node != message.id.origin {
                if options.space.contains(center: message.center, radius: message.radius, simulation.position(of: node)!) {
                    inside.insert(node)
                }
            }
            expectedTotal += inside.count
            for node in inside {
                let count = counts[node] ?? 0
                if count == 0 { missing += 1 } else { delivered += 1 }
                if count > 1 { duplicated += 1 }
            }
            outside += counts.keys.filter { !inside.contains($0) }.count
            if order == 0 { pictureCircle = (message.center, message.radius, Set(counts.keys)) }
        }
        phase.spreadDelivered = delivered
        phase.spreadExpected = expectedTotal
        // Spread is best effort (no retransmission): under loss only "never twice, never outside" must hold.
        let passed = published.count == options.circles && duplicated == 0 && outside == 0
            && (options.lossRate > 0 || missing == 0)
        phase.checks.append(.init(
            name: options.lossRate > 0 ? "pub/sub: at most once, none outside (best effort under loss)"
                : "pub/sub: every subscriber inside exactly once, none outside",
            passed: passed,
            detail: "\(published.count) circles, \(delivered)/\(expectedTotal) inside reached, \(missing) missing, "
                + "\(duplicated) twice, \(outside) outside"))
    }

    private func checkKVS(_ phase: inout ScenarioReport.Phase) {
        let nodes = simulation.liveNodeIDs
        simulation.kvsCompletions.removeAll()
        var puts: [String: (key: KVSKey, value: [UInt8])] = [:]
        var operations: [String: String] = [:]  // "node/operation" -> key name
        for index in 0..<options.kvsKeys {
            let name = "simulate-\(round)-\(index)"
            let value = Array("value of \(name)".utf8)
            let node = pick(nodes)
            guard let operation = simulation.startKVS(.put(value, condition: .none), key: KVSKey(name), at: node) else { continue }
            puts[name] = (KVSKey(name), value)
            operations["\(node.hex)/\(operation.rawValue)"] = name
        }
        var acknowledged: [String] = []
        runUntil(limit: 30_000) { self.simulation.kvsCompletions.count >= puts.count }
        for completion in simulation.kvsCompletions {
            guard let name = operations["\(completion.node.hex)/\(completion.operation.rawValue)"] else { continue }
            if case .success = completion.result { acknowledged.append(name) }
        }
        simulation.kvsCompletions.removeAll()
        operations.removeAll()
        for name in acknowledged.sorted() {
            let node = pick(nodes)
            guard let operation = simulation.startKVS(.get, key: puts[name]!.key, at: node) else { continue }
            operations["\(node.hex)/\(operation.rawValue)"] = name
        }
        runUntil(limit: 30_000) { self.simulation.kvsCompletions.count >= acknowledged.count }
        var readable = 0
        for completion in simulation.kvsCompletions {
            guard let name = operations["\(completion.node.hex)/\(completion.operation.rawValue)"] else { continue }
            if case .success(let value?) = completion.result, value.bytes == puts[name]!.value { readable += 1 }
        }
        simulation.kvsCompletions.removeAll()
        let passed = readable == acknowledged.count && (options.lossRate > 0 ? readable > 0 : readable == options.kvsKeys)
        phase.checks.append(.init(
            name: "KVS: acknowledged puts read back from other nodes", passed: passed,
            detail: "\(acknowledged.count)/\(options.kvsKeys) puts acknowledged, \(readable) read back"))
    }

    // MARK: - Helpers

    private func runUntil(limit: UInt64, _ done: () -> Bool) {
        var waited: UInt64 = 0
        while waited < limit, !done() {
            simulation.run(for: 250)
            waited += 250
        }
    }

    private func pick(_ nodes: [NodeID]) -> NodeID {
        nodes[Int(random.next() % UInt64(nodes.count))]
    }

    private func shuffle(_ values: inout [NodeID]) {
        for index in values.indices.reversed() {
            values.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
    }

    // MARK: - Pictures

    /// The ring as SVG: every live node, its first successor, and the long links of 24 sampled nodes.
    public func ringPicture() -> String {
        let nodes = simulation.liveNodeIDs
        var successors: [(NodeID, NodeID)] = []
        var longLinks: [(NodeID, NodeID)] = []
        let stride = Swift.max(1, nodes.count / 24)
        for (index, id) in nodes.enumerated() {
            guard let ring = simulation.machine(of: id)?.ring else { continue }
            if let next = ring.successors.first { successors.append((id, next)) }
            if index % stride == 0 { longLinks += ring.longLinkNodes.map { (id, $0) } }
        }
        return SimulationPictures.ring(nodes: nodes, successors: successors, longLinks: longLinks)
    }

    /// The space as SVG: every live node, the Delaunay links, and the first pub/sub circle checked.
    public func spacePicture() -> String {
        let nodes = simulation.liveNodeIDs
        let positions = nodes.map { simulation.position(of: $0)! }
        let picture = DelaunayGraph(positions, in: options.space)
        var edges: [(Int, Int)] = []
        for (index, neighbours) in picture.neighbours.enumerated() {
            for other in neighbours where other > index { edges.append((index, other)) }
        }
        let circle = pictureCircle.map { circle in
            SimulationPictures.Circle(
                center: circle.center, radius: circle.radius,
                receivers: Set(nodes.indices.filter { circle.receivers.contains(nodes[$0]) }))
        }
        return SimulationPictures.space(options.space, positions: positions, edges: edges, circle: circle)
    }
}

private func asinDegrees(_ value: Double) -> Double {
    asin(value) * 180 / Double.pi
}
