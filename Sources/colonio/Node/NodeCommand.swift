import ArgumentParser
import Colonio
import ColonioCore
import Foundation
import Logging

/// `colonio node`: joins a network and runs console commands given as arguments, or read line by line
/// from standard input, printing one line (one JSON object with `--json`) per response and event.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node",
        abstract: "Join a network as a node and send, request, publish, subscribe or inspect links from a console.",
        discussion: """
            After joining, the node runs the COMMANDs given as arguments and exits (status 1 if one \
            failed), or, without any, reads commands line by line from standard input until 'quit' or \
            end of input. Commands:

            \(NodeConsole.helpList)

            Every node answers requests to the handler 'echo' with their payload and prints the \
            messages it gets. With --json, each response is one line {"response":"<command>","ok":true, \
            ...} (or "ok":false with "error") and each event one line {"event":"joined"|"message"|\
            "delivery",...}, so that a script can drive the node through standard input and output.

            Examples:
              colonio node --seed ws://127.0.0.1:8080 --network demo --token T
              colonio node --seed wss://seed.example.org --seed-ca my-ca.pem --network demo --token T
              colonio node --seed ws://127.0.0.1:8080 --network demo --token T \\
                'wait 1' links status
              colonio node --seed ws://127.0.0.1:8080 --network demo --token T \\
                --position 120,80 'subscribe map' 'sleep 60'
              echo 'request owner:some-key echo hi' | colonio node --json \\
                --seed ws://127.0.0.1:8080 --network demo --token T
            """
    )

    @Option(help: "The seed's WebSocket URL, ws://host:port or wss://host:port.")
    var seed: String

    @Option(help: "A PEM file of certificate authorities to trust for a wss:// seed besides the system's (for a certificate from your own authority).")
    var seedCA: String?

    @Option(help: "The network to join.")
    var network: String

    @Option(help: "The network's access token (from the seed's configuration).")
    var token: String

    @Option(help: "This node's position x,y for pub/sub (sphere: x,y = longitude,latitude in degrees, longitude first; Tokyo is 139.65,35.68). Negative values: --position=-3,5.")
    var position: String?

    @Flag(help: "Print every response and event as exactly one JSON object per line.")
    var json = false

    @Flag(help: "Use loopback addresses only for WebRTC (single-machine tests and demos).")
    var loopbackOnly = false

    @Option(name: .customLong("interface"), help: "A network interface WebRTC may use (repeat for several; default: all).")
    var interfaces: [String] = []

    @Option(help: "Seconds before the first retry to reach a lost seed or to find peers; doubles up to --maximum-retry-delay.")
    var retryDelay: Double = 1

    @Option(help: "The longest wait between those retries, in seconds.")
    var maximumRetryDelay: Double = 30

    @Flag(help: "After the COMMAND arguments, keep reading commands from standard input.")
    var interactive = false

    @Option(help: "Log level on standard error: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "warning"

    @Argument(help: "Commands to run after joining, each one quoted argument (e.g. 'wait 1' links).")
    var commands: [String] = []

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        if let position {
            do { _ = try ConsoleCommand.position(position) } catch { throw ValidationError("--position: \(error)") }
        }
        guard retryDelay > 0, retryDelay <= 3600, maximumRetryDelay > 0, maximumRetryDelay <= 3600 else {
            throw ValidationError("--retry-delay and --maximum-retry-delay must be between 0 and 3600 seconds")
        }
        if loopbackOnly && !interfaces.isEmpty {
            throw ValidationError("--loopback-only and --interface exclude each other")
        }
    }

    /// The node's options from the flags.
    var nodeOptions: ColonioNodeOptions {
        ColonioNodeOptions(
            loopbackOnly: loopbackOnly, allowedInterfaces: interfaces.isEmpty ? nil : interfaces,
            retryDelay: .milliseconds(Int64(retryDelay * 1000)), maximumRetryDelay: .milliseconds(Int64(maximumRetryDelay * 1000)),
            seedCAFile: seedCA)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let output = ConsoleOutput(json: json)
        let node = ColonioNode(options: nodeOptions, logger: Logger(label: "colonio.node"))
        let console = NodeConsole(node: node, output: output)
        await console.registerEchoHandler("echo")
        do {
            try await node.connect(seed: seed, network: network, token: token)
        } catch {
            output.fail("join", error.description)
            throw ExitCode.failure
        }
        if let position {
            do {
                try await node.setPosition(try ConsoleCommand.position(position))
            } catch {
                output.fail("join", "\(error)")
                await node.disconnect()
                throw ExitCode.failure
            }
        }
        let status = await node.status()
        output.event(
            "joined", ["nodeID": NodeConsole.orNull(status.nodeID?.hex), "network": network],
            text: "joined '\(network)' as \(status.nodeID?.hex ?? "?"); type 'help' for commands")

        var succeeded = true
        var running = true
        for line in commands where running {
            running = await console.run(line: line, succeeded: &succeeded)
        }
        if running && (commands.isEmpty || interactive) {
            let prompts = isatty(STDIN_FILENO) != 0
            if prompts { output.prompt("> ") }
            for await line in StandardInputLines.stream() {
                guard await console.run(line: line, succeeded: &succeeded) else { break }
                if prompts { output.prompt("> ") }
            }
        }
        console.stop()
        await node.disconnect()
        // A one-shot run reports failed commands in its exit code; an interactive session already printed them.
        if !commands.isEmpty && !interactive && !succeeded { throw ExitCode.failure }
    }
}
