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

    /// `colonio seed` with TLS flags serves `wss://`; SIGHUP makes new connections get the new
    /// certificate (here from another authority); `colonio node --seed-ca` trusts a CA file; a missing
    /// file stops the seed at start with what to do.
    @Test func seedWithTLSReloadsItsCertificateOnHangUp() async throws {
        let first = try TestCertificateAuthority(name: "First CA")
        let second = try TestCertificateAuthority(name: "Second CA")
        defer {
            first.remove()
            second.remove()
        }
        let chain = first.directory + "/live.pem"
        let key = first.directory + "/live.key"
        func install(_ issued: TestCertificateAuthority.Issued) throws {
            for (from, to) in [(issued.certificateChainPath, chain), (issued.privateKeyPath, key)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install(try first.issue(file: "seed"))

        let lines = LineBuffer()
        let (process, _) = try NodeProcess.launch(
            try NodeProcess.executable(),
            arguments: [
                "seed", "--port", "0", "--log-level", "error", "--key-file", first.directory + "/signing.key",
                "--tls-certificate-chain", chain, "--tls-private-key", key,
            ],
            lines: lines)
        defer { if process.isRunning { process.terminate() } }
        let listening = try #require(await eventuallyValue { lines.snapshot().first { $0.contains("\"listening\"") } })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(listening.utf8)) as? [String: Any])
        let port = try #require((object["listening"] as? [String: Any])?["port"] as? Int)

        @Sendable func signIn(trusting authority: TestCertificateAuthority) async throws(SeedClientError) {
            let client = try await SeedClient.connect(
                url: "wss://localhost:\(port)", network: "demo", token: "demo-token",
                keypair: Curve25519.Signing.PrivateKey(), options: SeedClient.Options(trustedCAFile: authority.certificatePath))
            await client.close()
        }
        try await signIn(trusting: first)
        try install(try second.issue(file: "seed"))
        kill(process.processIdentifier, SIGHUP)
        #expect(await eventually { (try? await signIn(trusting: second)) != nil })
        do throws(SeedClientError) {
            try await signIn(trusting: first)
            Issue.record("the first certificate is still served after SIGHUP")
        } catch {
            guard case .untrustedCertificate = error else { throw error }
        }

        // A node process trusting the second CA joins.
        let node = try NodeProcess(
            seed: "wss://localhost:\(port)", network: "demo", token: "demo-token",
            arguments: ["--seed-ca", second.certificatePath, "status"])
        try await node.waitForExit(within: .seconds(20))
        #expect(node.exitCode == 0)

        // A missing file: the seed does not start, and says which file and what to do.
        let errors = Pipe()
        let (broken, _) = try NodeProcess.launch(
            try NodeProcess.executable(),
            arguments: [
                "seed", "--port", "0", "--key-file", first.directory + "/signing.key",
                "--tls-certificate-chain", first.directory + "/missing.pem", "--tls-private-key", key,
            ],
            lines: LineBuffer(), standardError: errors.fileHandleForWriting)
        try errors.fileHandleForWriting.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        broken.waitUntilExit()
        #expect(broken.terminationStatus != 0)
        #expect(message.contains("no file at \(first.directory)/missing.pem (tls.certificateChain)"))
    }
}
