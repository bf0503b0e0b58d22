import Foundation
import Glibc
import Synchronization

/// One `colonio node --json` child process of the demo, driven through its standard input; its output
/// is one JSON object per line. Killed when released.
final class DemoNodeProcess: Sendable {
    let index: Int
    private let process: Process
    private let input: FileHandle
    private let output = OutputLines()

    init(index: Int, seed: String, network: String, token: String) throws {
        self.index = index
        let output = output
        (process, input) = try NodeConsoleLaunch.start(
            executable: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), seed: seed,
            network: network, token: token, onOutput: { output.append($0) })
    }

    deinit {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Kills the process at once (SIGKILL): its peers get no goodbye.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Sends `line` and returns its response object; throws if it is not `"ok": true` or does not come
    /// within `timeout`.
    func command(_ line: String, timeout: Duration = .seconds(20)) async throws -> [String: Any] {
        try input.write(contentsOf: Data((line + "\n").utf8))
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let response = nextResponse() {
                guard response["ok"] as? Bool == true else {
                    throw DemoFailure("node \(index + 1): '\(line)' failed: \(response["error"] ?? "?")")
                }
                return response
            }
            guard process.isRunning else { throw DemoFailure("node \(index + 1) exited") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw DemoFailure("node \(index + 1): no answer to '\(line)' within \(timeout)")
    }

    /// Every event object of `kind` printed so far.
    func events(_ kind: String) -> [[String: Any]] {
        output.state.withLock { $0.lines }.compactMap(Self.object).filter { $0["event"] as? String == kind }
    }

    private func nextResponse() -> [String: Any]? {
        output.state.withLock { state in
            while state.consumed < state.lines.count {
                let line = state.lines[state.consumed]
                state.consumed += 1
                if let object = Self.object(line), object["response"] != nil { return object }
            }
            return nil
        }
    }

    private static func object(_ line: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
    }
}

/// The lines a node process printed, and how many of them the demo has read.
private final class OutputLines: Sendable {
    let state = Mutex<(partial: [UInt8], lines: [String], consumed: Int)>(([], [], 0))

    func append(_ data: Data) {
        state.withLock { state in
            for byte in data {
                if byte == 0x0A {
                    state.lines.append(String(decoding: state.partial, as: UTF8.self))
                    state.partial.removeAll()
                } else {
                    state.partial.append(byte)
                }
            }
        }
    }
}
