import ColonioCore
import ColonioSeed
import ColonioTesting
import Crypto
import Foundation
import Testing

/// Issue #18, findings 4 and 5: a client that never signs in cannot make the seed hold memory or
/// descriptors beyond fixed bounds. Each refusal has its close code or error and its metric.
@Suite(.timeLimit(.minutes(1))) struct ExhaustionTests {
    /// The value of a metric line such as `colonio_seed_closed_connections_total{reason="x"}`, or 0.
    static func metric(_ seed: RunningSeed, _ line: String) -> Double {
        for text in seed.server.metrics.render().split(separator: "\n") where text.hasPrefix(line + " ") {
            return Double(text.dropFirst(line.count + 1)) ?? 0
        }
        return 0
    }

    /// Finding 4: pipelined requests whose answers the client never reads. Each response waits for
    /// the previous one to be written, so the seed stops reading instead of queueing every answer.
    @Test func pipelinedRequestsWaitUntilTheClientReads() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fileBytes = 256 * 1024
        try Data(repeating: 0x2F, count: fileBytes).write(to: directory.appendingPathComponent("colonio.js"))
        var configuration = RunningSeed.configuration()
        configuration.webDirectory = directory.path
        try await RunningSeed.with(configuration) { seed in
            try await RawConnection.with(port: seed.port) { connection in
                let requests = 200
                let request = "GET /colonio.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                try await connection.send(String(repeating: request, count: requests))
                // 50 MB of answers; the socket buffers hold a few, then the seed waits for the client.
                let waited = await eventually { Self.metric(seed, "colonio_seed_http_requests_waited_total") >= 1 }
                #expect(waited)
                let written = Self.metric(seed, "colonio_seed_http_responses_total")
                #expect(written < Double(requests) / 2)
                // Reading lets the next answers go out.
                guard let head = try await connection.receiveHTTPHead() else { throw RawConnectionError.closedEarly }
                #expect(head.hasPrefix("HTTP/1.1 200"))
                _ = try await connection.receive(count: fileBytes)
                for _ in 0..<20 {
                    _ = try await connection.receiveHTTPHead()
                    _ = try await connection.receive(count: fileBytes)
                }
                #expect(await eventually { Self.metric(seed, "colonio_seed_http_responses_total") > written })
            }
        }
    }

    /// Moves the seed's manual clock and waits until its sweep, the one task sleeping on it, has run.
    static func advance(_ clock: ManualClock, by duration: Duration) async {
        let sweeps = max(1, clock.sleeperCount)
        clock.advance(by: duration)
        #expect(await eventually { clock.sleeperCount >= sweeps })
    }

    /// Advances the seed's clock in `step`s (at most `steps` of them) until `condition` holds. The seed
    /// starts a deadline when it has handled the bytes that start it, which can be several steps after
    /// the test sent them on a loaded machine, so the tests bound how late the close comes (generously)
    /// rather than its exact time.
    static func advance(
        _ clock: ManualClock, by step: Duration, atMost steps: Int, until condition: () -> Bool
    ) async -> Bool {
        for _ in 0..<steps {
            if condition() { return true }
            await advance(clock, by: step)
        }
        return condition()
    }

    /// Finding 5: pings and keepalive frames do not keep an unsigned WebSocket open.
    @Test func signInDeadlineIsNotExtendedByPingsOrKeepalives() async throws {
        let clock = ManualClock()
        let limits = SeedLimitsConfiguration(signInTimeoutMilliseconds: 1000)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits), clock: clock.colonioClock) { seed in
            try await RawConnection.with(port: seed.port) { connection in
                let status = try await connection.upgrade()
                #expect(status.hasPrefix("HTTP/1.1 101"))
                await Self.advance(clock, by: .milliseconds(900))
                // A ping and a keepalive at 0.9 s, both answered, so the seed has seen them.
                try await connection.sendFrame(opcode: 0x9, payload: [1, 2, 3])
                #expect(try await connection.receiveFrame()?.opcode == 0xA)
                try await connection.sendFrame(opcode: 0x2, payload: SeedFrame.keepalive(nonce: 7).encoded())
                #expect(try await connection.receiveFrame()?.opcode == 0x2)
                let closed = await Self.advance(clock, by: .milliseconds(300), atMost: 40) {
                    Self.metric(seed, #"colonio_seed_closed_connections_total{reason="sign_in_deadline"}"#) == 1
                }
                #expect(closed)
                let frame = try await connection.receiveFrame()
                #expect(frame?.opcode == 0x8)
                #expect(frame?.payload.prefix(2) == [0x03, 0xF0])  // 1008
            }
        }
    }

    /// Finding 5: a request body trickled in is cut at the request deadline, however recent its last byte.
    @Test func trickledRequestBodyIsCutAtTheDeadline() async throws {
        let clock = ManualClock()
        let limits = SeedLimitsConfiguration(requestTimeoutMilliseconds: 1000)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits), clock: clock.colonioClock) { seed in
            try await RawConnection.with(port: seed.port) { connection in
                // A complete request first: the connection is served, then a slow one begins.
                try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let head = try await connection.receiveHTTPHead()
                #expect(head?.hasPrefix("HTTP/1.1 200") == true)
                _ = try await connection.receive(count: 3)
                try await connection.send("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n")
                for _ in 0..<9 {
                    try await connection.send([0x61])
                    await Self.advance(clock, by: .milliseconds(100))
                }
                #expect(Self.metric(seed, #"colonio_seed_closed_connections_total{reason="request_deadline"}"#) == 0)
                try await connection.send([0x61])
                let closed = await Self.advance(clock, by: .milliseconds(300), atMost: 40) {
                    Self.metric(seed, #"colonio_seed_closed_connections_total{reason="request_deadline"}"#) == 1
                }
                #expect(closed)
                // Closed (a reset, if the seed had unread bytes): nothing was answered.
                if closed {
                    let rest = (try? await connection.receiveToEnd()) ?? []
                    #expect(rest.isEmpty)
                }
            }
        }
    }

    /// Finding 4: fragments are held only up to the seed's frame limit (they were held up to 1 MB).
    @Test func fragmentsBeyondTheFrameLimitCloseTheConnection() async throws {
        let limits = SeedLimitsConfiguration(maximumFrameBytes: 4096)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits)) { seed in
            try await RawConnection.with(port: seed.port) { connection in
                let status = try await connection.upgrade()
                #expect(status.hasPrefix("HTTP/1.1 101"))
                try await connection.sendFrame(opcode: 0x2, fin: false, payload: [UInt8](repeating: 1, count: 3000))
                try await connection.sendFrame(opcode: 0x0, fin: false, payload: [UInt8](repeating: 1, count: 3000))
                let frame = try await connection.receiveFrame()
                #expect(frame?.opcode == 0x8)
                #expect(frame?.payload.prefix(2) == [0x03, 0xF1])  // 1009
            }
            #expect(await eventually {
                Self.metric(seed, #"colonio_seed_closed_connections_total{reason="fragments_too_large"}"#) == 1
            })
        }
    }

    /// Finding 4: a long or malformed network name in the path is refused before it is copied or
    /// logged: a WebSocket is closed with 1008, a plain request gets 400.
    @Test(arguments: [String(repeating: "a", count: 200), "a%0Ab", "%E2%80%A8"])
    func invalidNetworkNameInThePathIsRefused(name: String) async throws {
        try await RunningSeed.with { seed in
            try await RawConnection.with(port: seed.port) { connection in
                let status = try await connection.upgrade(network: name)
                #expect(status.hasPrefix("HTTP/1.1 101"))
                let frame = try await connection.receiveFrame()
                #expect(frame?.opcode == 0x8)
                #expect(frame?.payload.prefix(2) == [0x03, 0xF0])  // 1008
            }
            let plain = try await RawConnection.request("/v1/networks/\(name)/ws", port: seed.port)
            #expect(plain.status == 400)
            #expect(Self.metric(seed, #"colonio_seed_closed_connections_total{reason="invalid_network_name"}"#) == 1)
            #expect(Self.metric(seed, #"colonio_seed_refused_http_requests_total{reason="invalid_network_name"}"#) == 1)
        }
    }

    /// Finding 5: connections beyond the caps (per address, in total) are closed at accept.
    @Test(arguments: [true, false])
    func connectionsBeyondACapAreClosedAtOnce(perAddress: Bool) async throws {
        let limits =
            perAddress
            ? SeedLimitsConfiguration(maximumConnectionsPerAddress: 2) : SeedLimitsConfiguration(maximumConnections: 2)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits)) { seed in
            try await RawConnection.with(port: seed.port) { first in
                try await RawConnection.with(port: seed.port) { second in
                    for connection in [first, second] {
                        try await connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        let head = try await connection.receiveHTTPHead()
                        #expect(head?.hasPrefix("HTTP/1.1 200") == true)
                        _ = try await connection.receive(count: 3)
                    }
                    // Closed at accept: the request fails (reset, or closed before an answer).
                    await #expect(throws: (any Error).self) {
                        _ = try await RawConnection.request("/healthz", port: seed.port)
                    }
                }
            }
            let reason = perAddress ? "address_full" : "seed_full"
            #expect(Self.metric(seed, #"colonio_seed_refused_connections_total{reason="\#(reason)"}"#) == 1)
            // Closed connections free their places.
            #expect(await eventually { (try? await RawConnection.request("/healthz", port: seed.port))?.status == 200 })
        }
    }

    /// Finding 5: wrong tokens over several connections from one address are capped.
    @Test func failedSignInsFromOneAddressAreCappedAcrossConnections() async throws {
        let limits = SeedLimitsConfiguration(failedSignInsPerMinutePerAddress: 3)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits)) { seed in
            let key = Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
            let first = RawSeedSocket(url: seed.url)
            let second = RawSeedSocket(url: seed.url)
            var codes: [SeedErrorCode?] = []
            for (socket, token) in [(first, "wrong-1"), (first, "wrong-2"), (second, "wrong-3"), (second, "alpha-token")] {
                socket.send(.signIn(SignInRequest(network: "alpha", token: token, publicKey: key)))
                guard case .error(let error)? = await next(socket.frames) else {
                    codes.append(nil)
                    continue
                }
                codes.append(error.code)
            }
            #expect(codes == [.badToken, .badToken, .badToken, .signInRateLimited])
            #expect(seed.registry.nodeCount(network: "alpha") == 0)
            #expect(Self.metric(seed, #"colonio_seed_rejected_requests_total{reason="sign_in_rate_limited"}"#) == 1)
            await first.close()
            await second.close()
        }
    }

    /// Finding 6: a newline in the sign-in's network is escaped in the error frame (and the log line,
    /// which carries the same text), so it cannot forge a line.
    @Test func networkNameInAnErrorIsEscaped() async throws {
        try await RunningSeed.with { seed in
            let socket = RawSeedSocket(url: seed.url)
            let key = Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
            socket.send(.signIn(SignInRequest(network: "alpha\n2026-01-01 notice forged line", token: "t", publicKey: key)))
            guard case .error(let error)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(error.code == .unknownNetwork)
            #expect(!error.message.contains("\n"))
            #expect(error.message.contains(#"alpha\n2026-01-01 notice forged line"#))
            await socket.close()
        }
    }
}
