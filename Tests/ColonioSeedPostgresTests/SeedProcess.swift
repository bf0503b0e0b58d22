import ColonioTesting
import Foundation
import Synchronization

/// A `colonio seed` child process (the package's executable) with a JSON configuration it is given.
/// Killed when released, so a failing test never leaves it running.
final class SeedProcess: Sendable {
    let port: Int
    private let process: Process

    var url: String { "ws://127.0.0.1:\(port)" }
    var isRunning: Bool { process.isRunning }

    /// Starts `colonio seed --config <configuration> --key-file <keyFile> --port 0` and waits for its
    /// `listening` line.
    init(configuration: URL, keyFile: URL, folder: URL) async throws {
        let process = Process()
        process.executableURL = try Self.executable()
        process.arguments = [
            "seed", "--config", configuration.path, "--key-file", keyFile.path, "--port", "0", "--log-level", "error",
        ]
        process.currentDirectoryURL = folder
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        let lines = Lines()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { lines.append(data) }
        }
        try process.run()
        self.process = process
        guard let port = await eventuallyValue(timeout: .seconds(20), { lines.listeningPort() }) else {
            process.terminate()
            throw ExternalCommandError("colonio seed printed no listening line; is PostgreSQL reachable?")
        }
        self.port = port
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Ends the process at once (SIGKILL), as a crash or a pulled plug would.
    func crash() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The `colonio` executable beside the test bundle, else in `.build/debug`.
    static func executable() throws -> URL {
        var folders: [URL] = []
        if let bundle = Bundle.main.executableURL { folders.append(bundle.deletingLastPathComponent()) }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        folders.append(packageRoot.appendingPathComponent(".build/debug"))
        for folder in folders {
            let candidate = folder.appendingPathComponent("colonio")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw ExternalCommandError("no colonio executable in \(folders.map(\.path)); run swift build --build-tests first")
    }

    private final class Lines: Sendable {
        private let text = Mutex("")

        func append(_ data: Data) {
            text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }

        /// The port of the `{"listening":{"host":...,"port":N}}` line, once printed.
        func listeningPort() -> Int? {
            text.withLock { text in
                guard let line = text.split(separator: "\n").first(where: { $0.contains("\"listening\"") }),
                    let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                    let listening = object["listening"] as? [String: Any]
                else { return nil }
                return listening["port"] as? Int
            }
        }
    }
}
