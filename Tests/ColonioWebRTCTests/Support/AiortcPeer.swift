import ColonioTesting
import ColonioWebRTC
import Foundation
import Glibc
import Synchronization

/// `scripts/interop/aiortc_peer.py` as a child process: a WebRTC peer on aiortc (Python's own WebRTC stack)
/// that speaks the link framing and echoes every whole message, signaled by JSON lines on its standard
/// input and output. Killed when released, so a failing test never leaves it running.
final class AiortcPeer: Sendable {
    enum Role: String, Sendable {
        case offer, answer
    }

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = packageRoot.appendingPathComponent("scripts/interop/aiortc_peer.py")
    /// Debian's python3 (python3-aiortc is a Debian package; a pyenv `python3` on PATH does not see it);
    /// `COLONIO_INTEROP_PYTHON` names another interpreter that can import aiortc.
    static let python = ProcessInfo.processInfo.environment["COLONIO_INTEROP_PYTHON"] ?? "/usr/bin/python3"
    /// Set (`make interop-test` sets it): a missing aiortc fails the suite instead of skipping it.
    static let isRequired = ProcessInfo.processInfo.environment["COLONIO_REQUIRE_INTEROP"].map { !$0.isEmpty } ?? false
    /// aiortc's version as the interpreter reports it, or why it cannot import aiortc.
    static let aiortcVersion: Result<String, AiortcPeerError> = probeAiortc()
    static var isAvailable: Bool { (try? aiortcVersion.get()) != nil }
    static let unavailableMessage =
        "python3-aiortc is not importable by \(python): apt-get install python3-aiortc (scripts/setup.sh does); "
        + "COLONIO_REQUIRE_INTEROP=1 (make interop-test) turns this skip into a failure"

    private let process: Process
    private let input: FileHandle
    private let output = ChildLines()
    private let errors = ChildLines()
    /// Lines of `output` already returned by `next(_:)`.
    private let consumed = Mutex(0)

    /// Starts the script as `role` with extra `arguments` (`--max-message-size`, `--fragment-bytes`).
    init(role: Role, arguments: [String] = [], timeout: Duration = .seconds(90)) throws {
        _ = Glibc.signal(SIGPIPE, SIG_IGN)  // a write to a peer that died must throw, not kill the test process
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = [Self.script.path, "--role", role.rawValue, "--timeout", "\(timeout.components.seconds)"]
            + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        for (pipe, lines) in [(stdout, output), (stderr, errors)] {
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                // Empty at end of output: stop watching, or the handler would be called again and again.
                if data.isEmpty { handle.readabilityHandler = nil } else { lines.append(data) }
            }
        }
        try process.run()
        self.process = process
        self.input = stdin.fileHandleForWriting
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? input.close()
    }

    /// Writes one signal line.
    func signal(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        try input.write(contentsOf: data + Data("\n".utf8))
    }

    func signal(candidate: ICECandidate) throws {
        var object: [String: Any] = ["type": "candidate", "candidate": candidate.candidate]
        if let mid = candidate.sdpMid { object["sdpMid"] = mid }
        object["sdpMLineIndex"] = Int(candidate.sdpMLineIndex)
        try signal(object)
    }

    /// The next line of `type` the script printed after the last one returned; throws at once on an
    /// `error` line or when the script exits first.
    func next(_ type: String, within timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let found = try await eventuallyValue(timeout: timeout, every: .milliseconds(5)) { () throws -> [String: Any]? in
            let (start, lines, running) = (consumed.withLock { $0 }, output.snapshot(), process.isRunning)
            for position in start..<lines.count {
                guard let object = try JSONSerialization.jsonObject(with: Data(lines[position].utf8)) as? [String: Any]
                else { throw failure("printed a line that is not a JSON object: \(lines[position])") }
                if object["type"] as? String == "error" {
                    throw failure("reported an error: \(object["message"] ?? "")")
                }
                if object["type"] as? String == type {
                    consumed.withLock { $0 = position + 1 }
                    return object
                }
            }
            guard running else { throw failure("exited (status \(process.terminationStatus)) before printing '\(type)'") }
            return nil
        }
        if let found { return found }
        throw failure("printed no '\(type)' within \(timeout)")
    }

    /// Ends the script through its input and waits (bounded) for it to exit; its exit status.
    func close(within timeout: Duration = .seconds(10)) async throws -> Int32 {
        try? signal(["type": "close"])
        try? input.close()
        guard await eventually(timeout: timeout, { !process.isRunning }) else {
            throw failure("did not exit within \(timeout) of being told to close")
        }
        return process.terminationStatus
    }

    private func failure(_ what: String) -> AiortcPeerError {
        AiortcPeerError(
            "the aiortc peer \(what); its output: \(output.snapshot().suffix(6).map { String($0.prefix(300)) }); "
                + "stderr: \(errors.snapshot().suffix(12))")
    }

    /// Runs `python -c 'import aiortc'` (bounded: 30 s).
    private static func probeAiortc() -> Result<String, AiortcPeerError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import aiortc; print(aiortc.__version__)"]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .failure(AiortcPeerError("cannot run \(python): \(error)"))
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning && ContinuousClock.now < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            return .failure(AiortcPeerError("\(python) -c 'import aiortc' did not finish within 30 s"))
        }
        let version = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else { return .failure(AiortcPeerError(unavailableMessage)) }
        return .success(version.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Complete lines from a child's pipe.
final class ChildLines: Sendable {
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

struct AiortcPeerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Passes a link's local candidates to the aiortc peer, holding them until the description they belong to
/// has been signaled: aiortc drops a candidate that arrives before the remote description.
final class CandidateRelay: Sendable {
    private let state = Mutex<(released: Bool, held: [ICECandidate])>((false, []))
    private let peer: AiortcPeer

    init(to peer: AiortcPeer) { self.peer = peer }

    func relay(_ candidate: ICECandidate) throws {
        let now = state.withLock { state in
            if !state.released { state.held.append(candidate) }
            return state.released
        }
        if now { try peer.signal(candidate: candidate) }
    }

    /// Sends what was held and everything from now on.
    func release() throws {
        let held = state.withLock { state in
            state.released = true
            defer { state.held = [] }
            return state.held
        }
        for candidate in held { try peer.signal(candidate: candidate) }
    }
}
