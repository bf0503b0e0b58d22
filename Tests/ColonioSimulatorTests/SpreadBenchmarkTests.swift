import ColonioCore
import Testing
@testable import ColonioSimulator

/// `colonio bench spread` at a tiny size: it runs and produces figures (speed is the benchmark's business).
@Suite struct SpreadBenchmarkTests {
    @Test func runsAndProducesFigures() {
        let figures = SpreadBenchmark.measure(
            nodeCount: 60, space: .plane(width: 1_000, height: 1_000), radiusFractions: [0.1, 0.3], publications: 3,
            seed: 9)
        #expect(figures.nodes == 60)
        #expect(figures.convergedAfterMilliseconds != nil)
        #expect(figures.radii.map(\.publications) == [3, 3])
        let large = figures.radii[1]
        #expect(large.receiversExpected > 0)
        #expect(large.deliveries == large.receiversExpected)
        #expect(large.latencyP50 > 0 && large.latencyP50 <= large.latencyP99)
        #expect(large.messagesSent >= large.deliveries)
    }
}
