import Colonio
import ColonioCore
import ColonioSeed
import Crypto
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import WSClient

/// Runs a seed on 127.0.0.1 with an ephemeral port for the duration of `body`.
struct RunningSeed: Sendable {
    let url: String
    let port: Int
    let server: SeedServer
    let signingKey: SeedSigningKey
    let registry: InMemoryNetworkRegistry

    static let logger: Logger = {
        var logger = Logger(label: "colonio.seed.test")
        logger.logLevel = .warning
        return logger
    }()

    static func configuration(
        networks: [NetworkDefinition] = [NetworkDefinition(name: "alpha", tokens: ["alpha-token", "alpha-old"])],
        limits: SeedLimitsConfiguration = SeedLimitsConfiguration()
    ) -> SeedConfiguration {
        SeedConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "", limits: limits, networks: networks)
    }

    @discardableResult
    static func with<T: Sendable>(
        _ configuration: SeedConfiguration = RunningSeed.configuration(), clock: ColonioClock = .system,
        _ body: @Sendable (RunningSeed) async throws -> T
    ) async throws -> T {
        let key = SeedSigningKey()
        let registry = InMemoryNetworkRegistry()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = SeedServer(
            configuration: configuration, signingKey: key, registry: registry, clock: clock, logger: logger,
            onListening: { port in portContinuation.yield(port) })
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw SeedTestError.serverDidNotStart }
        let seed = RunningSeed(
            url: "ws://127.0.0.1:\(port)", port: port, server: server, signingKey: key, registry: registry)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(seed))
        } catch {
            result = .failure(error)
        }
        // Graceful shutdown closes whatever connections the test left open.
        await group.triggerGracefulShutdown()
        try await task.value
        return try result.get()
    }

    func connect(network: String = "alpha", token: String = "alpha-token") async throws(SeedClientError) -> SeedClient {
        try await SeedClient.connect(
            url: url, network: network, token: token, keypair: Curve25519.Signing.PrivateKey(),
            logger: RunningSeed.logger)
    }

}

enum SeedTestError: Error {
    case serverDidNotStart
    case noFrame
}

/// Takes the next element of a stream, or `nil` after `timeout`.
func next<Element: Sendable>(
    _ stream: AsyncStream<Element>, timeout: Duration = .seconds(10)
) async -> Element? {
    await withTaskGroup(of: Element?.self) { group in
        group.addTask {
            var iterator = stream.makeAsyncIterator()
            return await iterator.next()
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}

/// A bare WebSocket to the seed that sends whatever bytes a test gives it and records every frame
/// the seed answers with, decoded.
final class RawSeedSocket: Sendable {
    /// The seed's frames after its challenge (which ``challenge`` holds).
    let frames: AsyncStream<SeedFrame>
    private let challenges: AsyncStream<[UInt8]>
    private let framesContinuation: AsyncStream<SeedFrame>.Continuation
    private let outgoing: AsyncStream<WebSocketOutboundWriter.OutboundFrame>
    private let outgoingContinuation: AsyncStream<WebSocketOutboundWriter.OutboundFrame>.Continuation
    let closed: Task<Void, Never>

    init(url: String, network: String = "alpha") {
        let (frames, framesContinuation) = AsyncStream.makeStream(of: SeedFrame.self)
        let (outgoing, outgoingContinuation) = AsyncStream.makeStream(of: WebSocketOutboundWriter.OutboundFrame.self)
        let (challenges, challengeContinuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .bufferingNewest(1))
        self.challenges = challenges
        self.frames = frames
        self.framesContinuation = framesContinuation
        self.outgoing = outgoing
        self.outgoingContinuation = outgoingContinuation
        let endpoint = url + SeedServer.endpointPath(network: network)
        closed = Task {
            _ = try? await WebSocketClient.connect(
                url: endpoint, configuration: .init(maxFrameSize: 4 << 20), logger: RunningSeed.logger
            ) { inbound, outbound, _ in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await frame in outgoing { try? await outbound.write(frame) }
                    }
                    group.addTask {
                        do {
                            for try await message in inbound.messages(maxSize: 4 << 20) {
                                if case .binary(let buffer) = message,
                                    let frame = try? SeedFrame(decoding: Array(buffer.readableBytesView))
                                {
                                    if case .challenge(let nonce) = frame {
                                        challengeContinuation.yield(nonce)
                                    } else {
                                        framesContinuation.yield(frame)
                                    }
                                }
                            }
                        } catch {}
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
            framesContinuation.finish()
            challengeContinuation.finish()
        }
    }

    /// The seed's challenge to this connection (its first frame); `nil` if the connection ended first.
    func challenge() async -> [UInt8]? {
        await next(challenges)
    }

    func send(_ frame: SeedFrame) {
        outgoingContinuation.yield(.binary(ByteBuffer(bytes: frame.encoded())))
    }

    func send(bytes: [UInt8]) {
        outgoingContinuation.yield(.binary(ByteBuffer(bytes: bytes)))
    }

    func send(text: String) {
        outgoingContinuation.yield(.text(text))
    }

    func close() async {
        outgoingContinuation.finish()
        await closed.value
    }
}
