import Testing
@testable import ColonioCore

/// The simulation: 100 nodes, 20 concurrent clients, 10,000 random operations over 50 keys with
/// 5% message loss, random delays (1-40 ms, so messages reorder), and either faults (node crashes one at
/// a time, a partition) or churn (20 joins and 20 graceful leaves). Each run's history must be
/// linearizable and every acknowledged write must survive.
@Suite("KVS simulation")
struct KVSSimulationTests {
    @Test(arguments: [1, 2, 3] as [UInt64])
    func faults(seed: UInt64) {
        var configuration = KVSSimulation.Configuration(seed: seed)
        configuration.crashMilliseconds = 1_500
        // Longer than the operation timeout, so operations on the wrong side fail (unavailable or timeout).
        configuration.partitionMilliseconds = 12_000
        var simulation = KVSSimulation(configuration)
        let outcome = simulation.run()
        verify(outcome, configuration)
        #expect(outcome.crashes > 5)
        // The partition made some operations fail: they enter the history as "may or may not have happened".
        #expect(outcome.results.contains { $0 == .failure(.unavailable) })
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func churn(seed: UInt64) {
        var configuration = KVSSimulation.Configuration(seed: seed)
        configuration.joins = 20
        configuration.leaves = 20
        var simulation = KVSSimulation(configuration)
        let outcome = simulation.run()
        verify(outcome, configuration)
        #expect(outcome.joins == 20)
        #expect(outcome.leaves == 20)
        #expect(outcome.repairs > 0)
    }

    @Test func sameSeedSameRun() {
        var configuration = KVSSimulation.Configuration(seed: 5)
        configuration.operationCount = 500
        configuration.crashMilliseconds = 1_500
        configuration.joins = 2
        configuration.leaves = 2
        var first = KVSSimulation(configuration)
        var second = KVSSimulation(configuration)
        let one = first.run()
        let two = second.run()
        #expect(one.results == two.results)
        #expect(one.messagesSent == two.messagesSent)
        #expect(one.virtualMilliseconds == two.virtualMilliseconds)
    }

    private func verify(_ outcome: KVSSimulation.Outcome, _ configuration: KVSSimulation.Configuration) {
        // Client operations plus one final read per key.
        #expect(outcome.history.count == configuration.operationCount + configuration.keyCount)
        let verdict = LinearizabilityChecker.check(KVSModel.self, outcome.history)
        #expect(verdict.failedPartitions == [])
        #expect(outcome.finalValues.count == configuration.keyCount)

        // No acknowledged write is lost: each key's final version is at least every acknowledged
        // put's version, and if the last acknowledged write of a key came after every other operation on
        // it, the final read returns exactly that.
        var highestAcknowledged: [String: UInt64] = [:]
        for (index, operation) in outcome.history.enumerated() {
            if case .put = operation.input, case .success(let value?)? = outcome.results[index] {
                highestAcknowledged[operation.partition] = max(
                    highestAcknowledged[operation.partition] ?? 0, value.version)
            }
        }
        for (key, version) in highestAcknowledged {
            let final = outcome.finalValues[key] ?? nil
            let finalVersion = final?.version ?? 0
            // A later delete leaves a tombstone: the value is gone but its version is not lower.
            #expect(finalVersion >= version || final == nil, "key \(key)")
        }
        let tally = outcome.results.reduce(into: [String: Int]()) { counts, result in
            let label: String
            switch result {
            case .success?: label = "ok"
            case .failure(.conditionFailed)?: label = "condition"
            case .failure(.unavailable)?: label = "unavailable"
            case .failure(.timeout)?: label = "timeout"
            case .failure?: label = "other"
            case nil: label = "lost"
            }
            counts[label, default: 0] += 1
        }
        print("seed \(configuration.seed): \(tally) messages \(outcome.messagesSent)",
              "virtual \(outcome.virtualMilliseconds) ms crashes \(outcome.crashes) repairs \(outcome.repairs)")
        #expect(tally["other", default: 0] == 0)
    }
}
