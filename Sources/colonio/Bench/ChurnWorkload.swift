import Foundation
import Synchronization

/// The client load of `colonio bench churn`: each client node process, one operation at a time, puts a
/// value under one of its own keys and then sends a request to that key's owner (`echo` answers it). Every
/// operation is timed; every acknowledged put is remembered to be read back after the crash. The keys
/// are chosen by the run (``ChurnKeyPlacement``).
enum ChurnWorkload {
    enum Kind: Sendable { case kvs, request }

    struct Operation: Sendable {
        var start: ContinuousClock.Instant
        var kind: Kind
        var succeeded: Bool
        var microseconds: Int
    }

    struct Outcome: Sendable {
        var operations: [Operation] = []
        /// The last acknowledged put of each key: its text and version.
        var acknowledged: [String: (text: String, version: Int)] = [:]
    }

    /// Set when the workload should end.
    final class StopSignal: Sendable {
        private let flag = Atomic(false)
        func stop() { flag.store(true, ordering: .relaxed) }
        var isStopped: Bool { flag.load(ordering: .relaxed) }
    }

    /// Keys per client: small, so that each is overwritten often.
    static let keysPerClient = 8
    /// A client ends after this many operations even if not told to stop.
    static let operationLimit = 4_000

    /// Runs one client on `keys` until `stop` is set or `deadline` passes. A command that gets no answer
    /// within `timeout` counts as failed (the node gives up on a request after three request timeouts,
    /// 15 s by default, so this is a node that stopped answering).
    static func client(
        _ node: ChurnNodeProcess, number: Int, keys: [String], stop: StopSignal, deadline: ContinuousClock.Instant,
        timeout: Duration = .seconds(20)
    ) async -> Outcome {
        var outcome = Outcome()
        var sequence = 0
        while !stop.isStopped, !Task.isCancelled, ContinuousClock.now < deadline, outcome.operations.count < operationLimit,
              !keys.isEmpty, node.isRunning {
            let key = keys[sequence % keys.count]
            let text = "c\(number)-\(sequence)"
            var start = ContinuousClock.now
            do {
                let stored = try await node.command("put \(key) \(text)", timeout: timeout)
                outcome.operations.append(Operation(start: start, kind: .kvs, succeeded: true, microseconds: micros(since: start)))
                if let version = stored["version"] as? Int { outcome.acknowledged[key] = (text, version) }
            } catch {
                outcome.operations.append(Operation(start: start, kind: .kvs, succeeded: false, microseconds: micros(since: start)))
            }
            start = ContinuousClock.now
            let succeeded = (try? await node.command("request owner:\(key) echo \(text)", timeout: timeout))?["text"] as? String == text
            outcome.operations.append(Operation(start: start, kind: .request, succeeded: succeeded, microseconds: micros(since: start)))
            sequence += 1
            // A short breath so that a few clients do not take both cores from the nodes they measure.
            try? await Task.sleep(for: .milliseconds(10))
        }
        return outcome
    }

    static func micros(since start: ContinuousClock.Instant) -> Int {
        Int((ContinuousClock.now - start) / .microseconds(1))
    }

    /// Failed share and latency percentiles (failed operations included) of `operations`, as JSON fields of one object.
    static func json(_ operations: [Operation]) -> String {
        func part(_ kind: Kind, _ name: String) -> String {
            let ofKind = operations.filter { $0.kind == kind }
            let failed = ofKind.filter { !$0.succeeded }.count
            // Failed operations count too: their time is what a user waited.
            let latencies = ofKind.map(\.microseconds).sorted()
            let share = ofKind.isEmpty ? 0 : Double(failed) / Double(ofKind.count)
            return "\"\(name)\":{\"operations\":\(ofKind.count),\"failed\":\(failed),"
                + "\"failed_share\":\(String(format: "%.4f", share)),"
                + "\"p50_ms\":\(milliseconds(latencies.nearestRankPercentile(50))),"
                + "\"p99_ms\":\(milliseconds(latencies.nearestRankPercentile(99)))}"
        }
        return "{" + part(.kvs, "kvs") + "," + part(.request, "request") + "}"
    }

    private static func milliseconds(_ microseconds: Int?) -> String {
        microseconds.map { String(format: "%.1f", Double($0) / 1000) } ?? "null"
    }
}
