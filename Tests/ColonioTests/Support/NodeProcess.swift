import ColonioTesting
import Foundation
import Synchronization
import Testing

/// A `colonio node --json` child process driven through its standard input and output.
/// Terminated when released, so a failing test never leaves it running.
final class NodeProcess: Sendable {
    private let process: Process
    private let input: FileHandle
    private let lines = LineBuffer()
    /// What the node printed, one JSON object per line, in order; consumed by `next(_:)`.
    private let consumed = Mutex(0)

    /// Starts `colonio node` with `arguments` after the common ones.
    init(seed: String, network: String, token: String, arguments: [String] = []) throws {
        // A write to a node that died must fail with an error, not kill the test process.
        (process, input) = try Self.launch(
            Self.executable(),
            arguments: ["node", "--seed", seed, "--network", network, "--token", token, "--json",
                        "--loopback-only", "--log-level", "error"] + arguments,
            lines: lines)
    }

    /// Starts `executable` with its standard output read line by line into `lines`; returns the process
    /// and its standard input.
    static func launch(
        _ executable: URL, arguments: [String], lines: LineBuffer, standardError: FileHandle? = nil
    ) throws -> (Process, FileHandle) {
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        if let standardError { process.standardError = standardError }
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            // Empty at end of output: stop watching, or the handler would be called again and again.
            if data.isEmpty { handle.readabilityHandler = nil } else { lines.append(data) }
        }
        try process.run()
        return (process, stdin.fileHandleForWriting)
    }

    deinit {
        terminate()
    }

    var isRunning: Bool { process.isRunning }
    var exitCode: Int32 { process.terminationStatus }

    /// Kills the process if it still runs.
    func terminate() {
        if process.isRunning { process.terminate() }
    }

    /// Writes one console line.
    func write(_ line: String) throws {
        try input.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Closes the node's standard input (end of input).
    func closeInput() {
        try? input.close()
    }

    /// Writes `line` and returns its response (skipping and keeping events for ``next(_:within:)``).
    func command(_ line: String, within timeout: Duration = .seconds(20)) async throws -> [String: Any] {
        try write(line)
        return try await next({ $0["response"] != nil }, within: timeout, what: "the response to '\(line)'")
    }

    /// Waits for the next printed object after the last one returned that satisfies `matches`.
    func next(
        _ matches: ([String: Any]) -> Bool, within timeout: Duration = .seconds(20), what: String
    ) async throws -> [String: Any] {
        let found = try await eventuallyValue(timeout: timeout) { () throws -> [String: Any]? in
            let (index, all, running) = (consumed.withLock { $0 }, lines.snapshot(), process.isRunning)
            for position in index..<all.count {
                guard let object = try JSONSerialization.jsonObject(with: Data(all[position].utf8)) as? [String: Any] else {
                    Issue.record("not a JSON object: \(all[position])")
                    continue
                }
                if matches(object) {
                    consumed.withLock { $0 = position + 1 }
                    return object
                }
            }
            guard running else { throw NodeProcessError("the node exited before printing \(what); output: \(lines.snapshot().suffix(10))") }
            return nil
        }
        if let found { return found }
        throw NodeProcessError("no \(what) within \(timeout); output: \(lines.snapshot().suffix(10))")
    }

    /// Every line printed so far.
    var output: [String] { lines.snapshot() }

    /// Waits (bounded) until the process has exited.
    func waitForExit(within timeout: Duration = .seconds(10)) async throws {
        guard await eventually(timeout: timeout, { !process.isRunning }) else {
            throw NodeProcessError("the node did not exit within \(timeout)")
        }
    }

    /// The package's executable `name` (`colonio`, `location-chat`): next to the test bundle (both live in
    /// the build products folder), else in the package's `.build/debug`.
    static func executable(named name: String = "colonio") throws -> URL {
        var folders: [URL] = []
        if let bundle = Bundle.main.executableURL { folders.append(bundle.deletingLastPathComponent()) }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        folders.append(packageRoot.appendingPathComponent(".build/debug"))
        for folder in folders {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw NodeProcessError("no \(name) executable in \(folders.map(\.path)); run swift build --build-tests first")
    }
}

/// Complete lines received from a pipe.
final class LineBuffer: Sendable {
    private let state = Mutex<(partial: [UInt8], lines: [String])>(([], []))

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

    func snapshot() -> [String] { state.withLock { $0.lines } }
}

struct NodeProcessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
