import ArgumentParser

/// `colonio bench <name>`: each benchmark prints its figures as an indented summary or, with `--json`,
/// as one JSON object that includes the machine's core count.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures (--json: one JSON object).",
        discussion: "Build with `-c release` for meaningful figures: swift run -c release colonio bench <name>",
        subcommands: benchmarks
    )

    /// Every benchmark subcommand; each lives in its own file in this folder.
    static let benchmarks: [any ParsableCommand.Type] = [
        LinkBenchmark.self, SeedBenchmark.self, OverlayBenchmark.self, KVSBenchmark.self, SpreadBenchmarkCommand.self,
        NATBenchmark.self, ChurnBenchmark.self, AllBenchmarks.self, OverlaySimulationBenchmark.self, KVSSimulationBenchmark.self,
    ]
}
