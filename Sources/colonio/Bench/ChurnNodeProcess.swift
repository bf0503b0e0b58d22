import Foundation
import Glibc
import Synchronization

/// One `colonio node --json` child process of `colonio bench churn`, driven through its standard input.
/// Several tasks use it at once (a workload client and a status poller), so commands take turns; the
/// console answers in order, so the n-th response belongs to the n-th command, and the late answer to
/// a command that timed out is skipped rather than taken for the next one's. Killed when released.
final class ChurnNodeProcess: Sendable {
    let index: Int
    private let process: Process
    private let input: FileHandle
    private let printed = PrintedObjects()
    private let turns = CommandTurns()
    /// Commands written so far (only while holding the turn).
    private let sent = Mutex(0)

    init(index: Int, executable: String, seed: String, network: String, token: String) throws {
        self.index = index
        let printed = printed
        (process, input) = try NodeConsoleLaunch.start(
            executable: executable, seed: seed, network: network, token: token, onOutput: { printed.append($0) })
    }

    deinit {
        kill()
    }

    var isRunning: Bool { process.isRunning }

    /// Kills the process at once (SIGKILL): its peers get no goodbye.
    func kill() {
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// Sends `line` and returns its response object; throws if it is not `"ok": true`, or does not come
    /// within `timeout` (waiting for the turn included).
    func command(_ line: String, timeout: Duration = .seconds(20)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        // The turn is waited for within the same timeout: another task's command may hang on a dead route.
        while !(await turns.tryAcquire()) {
            guard ContinuousClock.now < deadline else {
                throw BenchFailure("node \(index): '\(line)' did not get its turn within \(timeout)")
            }
            guard process.isRunning else { throw BenchFailure("node \(index) exited") }
            try await Task.sleep(for: .milliseconds(5))
        }
        defer { Task { await turns.release() } }
        let number = sent.withLock { sent in
            sent += 1
            return sent - 1
        }
        try input.write(contentsOf: Data((line + "\n").utf8))
        while ContinuousClock.now < deadline {
            if let text = printed.response(number),
               let response = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
                guard response["ok"] as? Bool == true else {
                    throw BenchFailure("node \(index): '\(line)' failed: \(response["error"] ?? "?")")
                }
                return response
            }
            guard process.isRunning else { throw BenchFailure("node \(index) exited") }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw BenchFailure("node \(index): no answer to '\(line)' within \(timeout)")
    }

    /// The texts of every subscription delivery printed so far.
    func deliveredTexts() -> [String] {
        printed.deliveries()
    }
}

/// Lets one command at a time through.
private actor CommandTurns {
    private var busy = false

    /// Takes the turn if it is free.
    func tryAcquire() -> Bool {
        guard !busy else { return false }
        busy = true
        return true
    }

    func release() {
        busy = false
    }
}

/// What a node process printed, sorted as it arrives: responses in order, and delivery texts.
private final class PrintedObjects: Sendable {
    private let state = Mutex<(partial: [UInt8], responses: [String], deliveries: [String])>(([], [], []))

    func append(_ data: Data) {
        state.withLock { state in
            for byte in data {
                guard byte == 0x0A else {
                    state.partial.append(byte)
                    continue
                }
                let object = (try? JSONSerialization.jsonObject(with: Data(state.partial))) as? [String: Any]
                if object?["response"] != nil {
                    state.responses.append(String(decoding: state.partial, as: UTF8.self))
                } else if object?["event"] as? String == "delivery", let text = object?["text"] as? String {
                    state.deliveries.append(text)
                }
                state.partial.removeAll()
            }
        }
    }

    func response(_ number: Int) -> String? {
        state.withLock { number < $0.responses.count ? $0.responses[number] : nil }
    }

    func deliveries() -> [String] { state.withLock { $0.deliveries } }
}
