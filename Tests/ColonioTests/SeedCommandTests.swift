import Colonio
import ColonioCore
import ColonioTesting
import Crypto
import Foundation
import Testing

/// A first local run: `colonio seed` with no configuration serves the local `demo` network, needs no
/// external server and keeps its key in the state folder, not in the working directory.
@Suite(.timeLimit(.minutes(1))) struct SeedCommandTests {
    @Test func seedWithoutConfigurationServesTheLocalDemoNetwork() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-seed-\(UUID().uuidString)")
        let state = scratch.appendingPathComponent("state")
        let workingDirectory = scratch.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        let process = Process()
        process.executableURL = try NodeProcess.executable()
        process.arguments = ["seed", "--port", "0", "--log-level", "error"]
        process.currentDirectoryURL = workingDirectory
        process.environment = ProcessInfo.processInfo.environment.merging(["COLONIO_STATE_DIR": state.path]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        let lines = LineBuffer()
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { lines.append(data) }
        }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let listening = try #require(await eventuallyValue { lines.snapshot().first { $0.contains("\"listening\"") } })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listening.utf8)) as? [String: Any])
        let address = try #require(object["listening"] as? [String: Any])
        #expect(address["host"] as? String == "127.0.0.1")
        let port = try #require(address["port"] as? Int)

        let client = try await SeedClient.connect(
            url: "ws://127.0.0.1:\(port)", network: "demo", token: "demo-token", keypair: Curve25519.Signing.PrivateKey())
        #expect(client.session.configuration.name == "demo")
        #expect(client.session.configuration.iceServers.isEmpty)
        await client.close()

        let key = try Data(contentsOf: state.appendingPathComponent("seed.key"))
        #expect(key.count == 32)
        #expect(try FileManager.default.contentsOfDirectory(atPath: workingDirectory.path).isEmpty)
    }
}
