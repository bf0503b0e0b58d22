import ArgumentParser

/// `colonio bench <name>`: each benchmark prints one JSON object with its figures.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark and print its figures as JSON.",
        discussion: "Build with `-c release` for meaningful figures: swift run -c release colonio bench <name>",
        subcommands: benchmarks
    )

    /// Every benchmark subcommand; each lives in its own file in this folder.
    static let benchmarks: [any ParsableCommand.Type] = [
        LinkBenchmark.self, SeedBenchmark.self, OverlayBenchmark.self, KVSBenchmark.self,
        OverlaySimulationBenchmark.self, KVSSimulationBenchmark.self, SpreadSimulationBenchmark.self,
    ]
}
