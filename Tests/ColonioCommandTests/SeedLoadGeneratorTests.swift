import ColonioCore
import ColonioSeed
import Logging
import NIOCore
import Testing

@testable import colonio

/// The load generator of `colonio bench seed` against a seed in this process: every simulated node
/// signs in for real and every signal arrives at its target, and a refused sign-in fails the run
/// instead of hanging it.
@Suite struct SeedLoadGeneratorTests {
    static let logger: Logger = {
        var logger = Logger(label: "colonio.bench.test")
        logger.logLevel = .warning
        return logger
    }()

    static func configuration() -> SeedConfiguration {
        SeedConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "",
            networks: [NetworkDefinition(name: "bench", tokens: ["bench-token"])])
    }

    static func options(clients: Int) -> SeedLoadGenerator.Options {
        .init(clients: clients, concurrency: 8, signalsPerClient: 3, threads: 1, phaseTimeout: .seconds(20))
    }

    @Test func everyNodeSignsInAndEverySignalArrives() async throws {
        let seed = try await EmbeddedSeed.start(configuration: Self.configuration(), logger: Self.logger)
        let generator = try SeedLoadGenerator(
            host: "127.0.0.1", ports: [seed.port], network: "bench", token: "bench-token", options: Self.options(clients: 40))
        let result: Result<Int, any Error>
        do {
            try await generator.signIn()
            generator.prepareSignals()
            let relayed = try await generator.relay()
            let latencies = try await generator.latencies(samples: 5)
            #expect(latencies.count == 5)
            result = .success(relayed)
        } catch {
            result = .failure(error)
        }
        // Shut down whatever happened, so a failure does not leave connections or the seed running.
        await generator.shutdown()
        await seed.stop()
        #expect(try result.get() == 40 * 3)
    }

    @Test func aRefusedSignInFailsTheRun() async throws {
        let seed = try await EmbeddedSeed.start(configuration: Self.configuration(), logger: Self.logger)
        let generator = try SeedLoadGenerator(
            host: "127.0.0.1", ports: [seed.port], network: "bench", token: "wrong-token", options: Self.options(clients: 4))
        let error = await #expect(throws: SeedLoadError.self) { try await generator.signIn() }
        await generator.shutdown()
        await seed.stop()
        guard case .refused(_, let message)? = error else {
            Issue.record("expected the seed's refusal, got \(String(describing: error))")
            return
        }
        #expect(message.code == .badToken)
    }

    @Test func upgradeAnswersAreChecked() {
        let accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        let valid = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nSEC-WebSocket-Accept: \(accept)\r\n\r\n"
        #expect(SeedLoadHandshakeHandler.problem(withAnswer: valid, expectedAccept: accept) == nil)
        #expect(SeedLoadHandshakeHandler.problem(withAnswer: valid, expectedAccept: "other") != nil)
        #expect(SeedLoadHandshakeHandler.problem(withAnswer: "HTTP/1.1 404 Not Found\r\n\r\n", expectedAccept: accept) != nil)
        #expect(SeedLoadHandshakeHandler.problem(withAnswer: "HTTP/1.1 101 Switching Protocols\r\n\r\n", expectedAccept: accept) != nil)
        #expect(SeedLoadHandshakeHandler.headerLength(in: ByteBuffer(string: "HTTP/1.1 101 x\r\n\r\nrest")) == 18)
        #expect(SeedLoadHandshakeHandler.headerLength(in: ByteBuffer(string: "HTTP/1.1 101 x\r\n")) == nil)
    }
}
