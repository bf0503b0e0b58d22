import Colonio
import ColonioCore
import Foundation

/// Pub/sub delivery latency between real nodes over WebRTC on loopback: nodes at random places on a
/// 1000 x 1000 plane, all subscribed; one publishes circles of several radii; every delivery's one-way
/// latency is measured on the process's single clock.
enum SpreadRealMeasurement {
    /// Deliveries by message sequence number, with their arrival time.
    actor Arrivals {
        private(set) var times: [UInt32: [ContinuousClock.Instant]] = [:]
        func record(_ sequence: UInt32, at instant: ContinuousClock.Instant) { times[sequence, default: []].append(instant) }
        func count(_ sequence: UInt32) -> Int { times[sequence]?.count ?? 0 }
    }

    /// The figures as a JSON object.
    static func run(nodes count: Int, radii: [Double], publications: Int) async throws -> String {
        let network = try await BenchNetwork.start(nodes: count)
        var generator = SplitMix64(seed: 5)
        var positions: [Position] = []
        let arrivals = Arrivals()
        var readers: [Task<Void, Never>] = []
        for node in network.nodes {
            let position = Position(x: Double.random(in: 0..<1000, using: &generator), y: Double.random(in: 0..<1000, using: &generator))
            positions.append(position)
            try await node.setPosition(position)
            let stream = await node.subscribe(topic: "bench")
            readers.append(Task {
                for await delivery in stream where delivery.payload.count >= 4 {
                    let sequence = delivery.payload.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    await arrivals.record(sequence, at: .now)
                }
            })
        }
        defer { readers.forEach { $0.cancel() } }
        // Let the geographic neighbourhoods settle: publish until a full-plane circle reaches everyone (at most 10 s).
        var sequence: UInt32 = 0
        let settleDeadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < settleDeadline {
            sequence += 1
            try await network.nodes[0].publish(
                bytes(of: sequence), topic: "bench", center: Position(x: 500, y: 500), radius: 800,
                options: SpreadOptions(deliverToSelf: true))
            try await Task.sleep(for: .milliseconds(200))
            if await arrivals.count(sequence) == count { break }
        }
        var results: [String] = []
        for radius in radii {
            var latencies: [Int] = []
            var expected = 0
            var delivered = 0
            for _ in 0..<publications {
                sequence += 1
                let center = Position(x: Double.random(in: 0..<1000, using: &generator), y: Double.random(in: 0..<1000, using: &generator))
                let publisher = Int.random(in: 0..<count, using: &generator)
                let inside = positions.filter { CoordinateSpace.plane(width: 1000, height: 1000).contains(center: center, radius: radius, $0) }.count
                expected += inside
                let start = ContinuousClock.now
                try await network.nodes[publisher].publish(
                    bytes(of: sequence), topic: "bench", center: center, radius: radius, options: SpreadOptions(deliverToSelf: true))
                // Wait (bounded) for the deliveries of this publication.
                let deadline = ContinuousClock.now + .seconds(2)
                while await arrivals.count(sequence) < inside, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(2))
                }
                let times = await arrivals.times[sequence] ?? []
                delivered += times.count
                latencies.append(contentsOf: times.map { Int(($0 - start) / .microseconds(1)) })
            }
            latencies.sort()
            results.append("{\"radius\":\(Int(radius)),\"publications\":\(publications),\"expected_deliveries\":\(expected),"
                + "\"deliveries\":\(delivered),\"latency_p50_us\":\(latencies.nearestRankPercentile(50) ?? 0),"
                + "\"latency_p99_us\":\(latencies.nearestRankPercentile(99) ?? 0)}")
        }
        await network.stop()
        return "{\"nodes\":\(count),\"space\":\"plane 1000x1000\",\"results\":[\(results.joined(separator: ","))]}"
    }

    private static func bytes(of sequence: UInt32) -> [UInt8] {
        withUnsafeBytes(of: sequence.bigEndian) { Array($0) } + [UInt8](repeating: 0, count: 60)
    }
}
