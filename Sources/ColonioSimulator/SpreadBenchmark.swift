import ColonioCore

/// Location pub/sub measured in the simulator: a network joins and converges, then circles of several
/// radii are published from random nodes to random centres; each delivery's latency is virtual time
/// (with the simulator's link delays), messages are spread packets sent for the publications.
public enum SpreadBenchmark {
    /// Figures for one radius.
    public struct RadiusFigures: Sendable {
        /// The radius as a fraction of the space's width (sphere: of its radius).
        public var fraction: Double
        /// The radius in the space's units.
        public var radius: Double
        /// Messages published.
        public var publications: Int
        /// Subscribers inside the circles (publishers excluded).
        public var receiversExpected: Int
        /// Deliveries that happened.
        public var deliveries: Int
        /// Delivery latency percentiles in virtual milliseconds (nearest rank).
        public var latencyP50: UInt64
        public var latencyP99: UInt64
        public var latencyMaximum: UInt64
        /// Spread hops of the deliveries, percentiles.
        public var hopsP50: UInt32
        public var hopsP99: UInt32
        /// Spread packets sent for these publications.
        public var messagesSent: Int

        /// Messages sent per delivery.
        public var messagesPerDelivery: Double { Double(messagesSent) / Double(Swift.max(1, deliveries)) }
    }

    /// Figures for one network size.
    public struct Figures: Sendable {
        /// Nodes in the network.
        public var nodes: Int
        /// Virtual milliseconds from the last join until ring and geo neighbours were exact.
        public var convergedAfterMilliseconds: UInt64?
        /// One entry per radius.
        public var radii: [RadiusFigures]
    }

    /// Runs one network of `nodeCount` nodes and measures every radius.
    public static func measure(
        nodeCount: Int, space: CoordinateSpace, radiusFractions: [Double], publications: Int, seed: UInt64
    ) -> Figures {
        let scenario = SimulationScenario(options: ScenarioOptions(nodeCount: nodeCount, space: space, seed: seed))
        let simulation = scenario.simulation
        scenario.join(nodeCount, step: "joining")
        let converged = scenario.converge()
        var random = SplitMix64(seed: seed ^ 0xB3AC)
        let ids = simulation.liveNodeIDs
        let unit: Double
        switch space {
        case .plane(let width, _), .torus(let width, _): unit = width
        case .sphere(let radius): unit = radius
        }
        var rows: [RadiusFigures] = []
        for fraction in radiusFractions {
            let radius = fraction * unit
            simulation.spreadArrivals.removeAll()
            simulation.spreadForwards.removeAll()
            var sentAt: [SpreadMessageID: MonotonicTime] = [:]
            var expected = 0
            for _ in 0..<publications {
                let publisher = ids[Int(random.next() % UInt64(ids.count))]
                let center = scenario.randomPosition()
                guard let id = try? simulation.publish(
                    from: publisher, topic: ScenarioOptions.topic, payload: [1, 2, 3, 4], center: center, radius: radius)
                else { continue }
                sentAt[id] = simulation.now
                expected += ids.filter {
                    $0 != publisher && space.contains(center: center, radius: radius, simulation.position(of: $0)!)
                }.count
            }
            simulation.run(for: 15_000)
            let latencies = simulation.spreadArrivals.compactMap { arrival in
                sentAt[arrival.delivery.id].map { arrival.time.milliseconds(since: $0) }
            }.sorted()
            let hops = simulation.spreadArrivals.map(\.delivery.hops).sorted()
            let forwards = sentAt.keys.reduce(0) { $0 + (simulation.spreadForwards[$1] ?? 0) }
            rows.append(RadiusFigures(
                fraction: fraction, radius: radius, publications: sentAt.count, receiversExpected: expected,
                deliveries: latencies.count, latencyP50: percentile(latencies, 50) ?? 0,
                latencyP99: percentile(latencies, 99) ?? 0, latencyMaximum: latencies.last ?? 0,
                hopsP50: percentile(hops, 50) ?? 0, hopsP99: percentile(hops, 99) ?? 0, messagesSent: forwards))
        }
        return Figures(nodes: nodeCount, convergedAfterMilliseconds: converged, radii: rows)
    }

    /// The nearest-rank percentile of ascending `values`.
    static func percentile<Value>(_ values: [Value], _ percent: Double) -> Value? {
        guard !values.isEmpty else { return nil }
        let rank = Int((percent / 100 * Double(values.count)).rounded(.up)) - 1
        return values[Swift.min(Swift.max(rank, 0), values.count - 1)]
    }
}
