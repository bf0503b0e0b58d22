import ArgumentParser
import Foundation

/// `colonio bench churn`: SIGKILL a share of real node processes at once and measure how fast the
/// survivors notice, how fast their ring lists are exact again, what the KVS and request workload saw
/// before, during and after, whether any acknowledged write was lost, and whether pub/sub around the
/// crash site is exact afterwards. `--simulated` does the same crash on whole simulated nodes at scale.
struct ChurnBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Kill a share of real node processes at once: detection, ring repair, workload, lost writes (JSON).",
        discussion: """
            Examples: swift run -c release colonio bench churn --nodes 32 --kill 25% --runs 3
                      swift run -c release colonio bench churn --simulated --nodes 1000 --kill 10% --loss 1%
            """
    )

    @Option(help: "Nodes to start (real: child processes; --simulated: simulated nodes).") var nodes = 32
    @Option(help: "Nodes to kill at once: a count or a share such as 25%.") var kill = "25%"
    @Option(help: "Runs, each with a fresh seed and fresh nodes.") var runs = 1
    @Option(help: "Real runs: node processes that run the workload (never killed).") var clients = 3
    @Option(help: "Real runs: seconds of workload before the kill and after the repair.") var workloadSeconds = 3.0
    @Option(help: "Real runs: seconds after the kill to wait for the repair before giving up.") var repairLimit = 30.0
    @Option(help: "Real runs: seconds from the formed ring to the kill, at least (default: 20 with 2+ victims, the KVS joint phase of the joins and 2 s).")
    var settleSeconds: Double?
    @Option(help: "Real runs: milliseconds between two status polls of a survivor (the timing resolution).")
    var pollInterval = 100
    @Flag(help: "Simulate whole nodes instead of starting processes.") var simulated = false
    @Option(help: "Simulated runs: share of frames lost, such as 1%.") var loss = "0%"
    @Option(help: "Random seed (victims, positions).") var seed: UInt64 = 1

    @OptionGroup var output: BenchOutputOptions

    /// `kill` as a count of nodes.
    var killCount: Int {
        get throws {
            if kill.hasSuffix("%") {
                guard let share = Double(kill.dropLast()), (0...100).contains(share) else {
                    throw ValidationError("--kill must be a count or a share such as 25%")
                }
                return Int((Double(nodes) * share / 100).rounded())
            }
            guard let count = Int(kill), count >= 0 else { throw ValidationError("--kill must be a count or a share such as 25%") }
            return count
        }
    }

    var lossRate: Double {
        get throws {
            let text = loss.hasSuffix("%") ? String(loss.dropLast()) : loss
            guard let value = Double(text), (0..<100).contains(value) else { throw ValidationError("--loss must be a share such as 1%") }
            return loss.hasSuffix("%") ? value / 100 : value
        }
    }

    func validate() throws {
        let count = try killCount
        _ = try lossRate
        guard runs >= 1, runs <= 20 else { throw ValidationError("--runs must be 1 to 20") }
        if simulated {
            guard (10...20_000).contains(nodes) else { throw ValidationError("--nodes must be 10 to 20000 with --simulated") }
            guard count >= 1, count < nodes / 2 else { throw ValidationError("--kill must leave more than half the nodes") }
        } else {
            guard (4...64).contains(nodes) else { throw ValidationError("--nodes must be 4 to 64") }
            guard clients >= 1, count >= 1, nodes - count >= max(3, clients) else {
                throw ValidationError("--kill must be at least 1 and leave at least 3 nodes and every client")
            }
            guard workloadSeconds >= 0, workloadSeconds <= 60, (settleSeconds ?? 0) >= 0, (settleSeconds ?? 0) <= 120, repairLimit > 0, repairLimit <= 120, (20...2_000).contains(pollInterval) else {
                throw ValidationError("--workload-seconds 0 to 60, --settle-seconds 0 to 120, --repair-limit up to 120, --poll-interval 20 to 2000")
            }
        }
    }

    func figures() async throws -> String {
        let count = try killCount
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        var results: [String] = []
        if simulated {
            let rate = try lossRate
            for run in 0..<runs {
                results.append(ChurnSimulation.figures(nodes: nodes, kill: count, lossRate: rate, seed: seed + UInt64(run)))
            }
        } else {
            // Node processes run this very executable.
            let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            // Three pipes per child process.
            _ = FileDescriptorLimit.raiseToHardLimit()
            for run in 0..<runs {
                FileHandle.standardError.write(Data("colonio bench churn: run \(run + 1) of \(runs)...\n".utf8))
                let options = ChurnRealRun.Options(
                    nodes: nodes, kill: count, clients: clients, beforeSeconds: workloadSeconds, afterSeconds: workloadSeconds, settleSeconds: settleSeconds,
                    repairLimitSeconds: repairLimit, pollMilliseconds: pollInterval, seed: seed + UInt64(run), executable: executable)
                results.append(try await ChurnRealRun(options: options).run().json)
            }
        }
        return "{\"benchmark\":\"churn\",\"cores\":\(ProcessStatus.allowedCores()),\"build\":\"\(build)\","
            + "\"mode\":\"\(simulated ? "simulated" : "processes")\",\"runs\":[\(results.joined(separator: ","))]}"
    }
}
