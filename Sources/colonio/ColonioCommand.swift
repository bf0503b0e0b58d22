import ArgumentParser
import ColonioCore

/// The `colonio` command: seed server, node, demo, simulator and benchmarks.
@main
struct ColonioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "colonio",
        abstract: "Peer-to-peer networks of WebRTC nodes: seed, node, demo, simulator and benchmarks.",
        discussion: """
            Examples:
              colonio demo
              colonio seed
              colonio seed --config docs/seed.example.json
              colonio node --seed ws://127.0.0.1:8080 --network demo --token T 'wait 1' status
              colonio simulate --nodes 1000 --space sphere --random-seed 42
              colonio <subcommand> --help
            """,
        version: ColonioVersion.current,
        subcommands: [SeedCommand.self, NodeCommand.self, BenchCommand.self, DemoCommand.self, SimulateCommand.self]
    )
}
