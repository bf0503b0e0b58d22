import Foundation
import Glibc

/// Starts a `colonio node --json --loopback-only` child process (the demo's and `bench churn`'s nodes):
/// its console is driven through standard input, and every chunk it prints goes to `onOutput`.
enum NodeConsoleLaunch {
    /// The running process and the write end of its standard input.
    static func start(
        executable: String, seed: String, network: String, token: String, onOutput: @escaping @Sendable (Data) -> Void
    ) throws -> (process: Process, input: FileHandle) {
        // A write to a node that was killed must fail with an error, not end the parent.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["node", "--seed", seed, "--network", network, "--token", token, "--json",
                             "--loopback-only", "--log-level", "critical"]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            // Empty at end of output: stop watching, or the handler would be called again and again.
            if data.isEmpty { handle.readabilityHandler = nil } else { onOutput(data) }
        }
        try process.run()
        return (process, stdin.fileHandleForWriting)
    }
}
