import ArgumentParser

/// The `colonio` command: seed server, node, demo, simulator and benchmarks.
@main
struct ColonioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "colonio",
        abstract: "Peer-to-peer networks of WebRTC nodes: seed, node, demo, simulator and benchmarks.",
        subcommands: [SeedCommand.self, BenchCommand.self, DemoCommand.self, SimulateCommand.self]
    )
}
