import ArgumentParser
import Foundation

/// `colonio bench all`: every benchmark one after another in this process, their figures in one JSON
/// object. `--quick` runs each at a tiny size: a check that all of them work, not figures to quote.
struct AllBenchmarks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run every benchmark (link, seed, overlay, kvs, spread, churn, and nat as root) and print their figures.",
        discussion: """
            Full sizes take several minutes; build with -c release for figures worth quoting.
            Example: swift run -c release colonio bench all --json > figures.json
            """
    )

    @Flag(help: "Tiny sizes: checks that every benchmark runs (seconds, not minutes); the figures mean little.")
    var quick = false

    @OptionGroup var output: BenchOutputOptions

    /// Each benchmark's name and its arguments at full or quick size.
    var plan: [(name: String, make: () throws -> any Benchmark)] {
        func arguments(_ full: [String], _ tiny: [String]) -> [String] { quick ? tiny : full }
        return [
            ("link", { try LinkBenchmark.parse(arguments([], ["--connects", "2", "--round-trips", "100", "--messages", "16"])) }),
            ("seed", { try SeedBenchmark.parse(arguments([], ["--clients", "50", "--concurrency", "10", "--signals-per-client", "1"])) }),
            ("overlay", {
                try OverlayBenchmark.parse(
                    arguments([], ["--nodes", "4", "--requests", "20", "--seconds", "0.5", "--simulated", "30"]))
            }),
            ("kvs", {
                try KVSBenchmark.parse(
                    arguments([], ["--nodes", "4", "--operations", "10", "--seconds", "0.5", "--simulated-nodes", "20",
                                   "--simulated-operations", "200"]))
            }),
            ("spread", {
                try SpreadBenchmarkCommand.parse(
                    arguments([], ["--nodes", "30", "--radii", "0.3", "--publications", "2", "--real-nodes", "4", "--real-radii", "400"]))
            }),
            ("churn", {
                try ChurnBenchmark.parse(
                    arguments([], ["--nodes", "6", "--kill", "1", "--clients", "2", "--workload-seconds", "1"]))
            }),
            ("nat", { try NATBenchmark.parse(arguments([], ["--repeat", "1", "--requests", "2"])) }),
        ]
    }

    func run() async throws {
        var parts: [String] = []
        for (name, make) in plan {
            if name == "nat", let reason = NATBenchmark.unavailableReason() {
                parts.append("{\"benchmark\":\"nat\",\"skipped\":\"\(reason)\"}")
                continue
            }
            FileHandle.standardError.write(Data("colonio bench all: \(name)...\n".utf8))
            parts.append(try await make().figures())
        }
        output.print("{\"benchmark\":\"all\",\"cores\":\(ProcessStatus.allowedCores()),\"quick\":\(quick),"
            + "\"results\":[\(parts.joined(separator: ","))]}")
    }
}
