import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Crypto
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Issue #18, finding 8: the seed serves `https://` and `wss://` with a certificate from its
/// configuration, reloadable; nodes trust the system's roots plus a CA file of their own. Each test
/// makes its own throwaway certificate authority with `openssl`.
@Suite(.timeLimit(.minutes(1))) struct TLSTests {
    static func configuration(_ issued: TestCertificateAuthority.Issued, limits: SeedLimitsConfiguration = .init())
        -> SeedConfiguration
    {
        var configuration = RunningSeed.configuration(limits: limits)
        configuration.tls = SeedTLSConfiguration(
            certificateChainFile: issued.certificateChainPath, privateKeyFile: issued.privateKeyPath)
        return configuration
    }

    static func connect(port: Int, caFile: String?) async throws(SeedClientError) -> SeedClient {
        try await SeedClient.connect(
            url: "wss://localhost:\(port)", network: "alpha", token: "alpha-token",
            keypair: Curve25519.Signing.PrivateKey(), options: SeedClient.Options(trustedCAFile: caFile),
            logger: RunningSeed.logger)
    }

    /// Two native nodes sign in over `wss://` (trusting the test's CA) and answer each other's requests.
    @Test func nodesSignInOverWSSAndExchangeARequest() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue(file: "seed")
        var configuration = Self.configuration(issued)
        configuration.webDirectory = nil
        // The two find each other at the first stabilization round.
        configuration.networks[0].routing.stabilizeIntervalMilliseconds = 200
        let seed = try await EmbeddedSeed.start(configuration: configuration, logger: RunningSeed.logger)
        #expect(seed.url == "wss://localhost:\(seed.port)")
        let links = InMemoryLinkNetwork()
        var nodes: [ColonioNode] = []
        for _ in 0..<2 {
            var options = ColonioNodeOptions(inMemoryLinks: links)
            options.seedCAFile = authority.certificatePath
            let node = ColonioNode(options: options, logger: RunningSeed.logger)
            try await node.connect(seed: seed.url, network: "alpha", token: "alpha-token")
            await node.handle("echo") { message in Array("echo ".utf8) + message.payload }
            nodes.append(node)
        }
        let target = try #require(await nodes[1].nodeID)
        let reply = try await retrying(timeout: .seconds(20)) { try await nodes[0].request(Array("hi".utf8), to: target, name: "echo") }
        #expect(reply == Array("echo hi".utf8))
        for node in nodes { await node.disconnect() }
        await seed.stop()
    }

    /// A client without the CA gets a typed error at once (not a timeout), the seed counts the failed
    /// handshake, and a node's error says what to do.
    @Test func aClientThatDoesNotTrustTheAuthorityIsToldWhy() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue(file: "seed")
        try await RunningSeed.with(Self.configuration(issued)) { seed in
            let started = ContinuousClock.now
            do throws(SeedClientError) {
                _ = try await Self.connect(port: seed.port, caFile: nil)
                Issue.record("signed in without trusting the seed's authority")
            } catch {
                guard case .untrustedCertificate = error else {
                    Issue.record("expected untrustedCertificate, got \(error)")
                    return
                }
                #expect(error.description.contains("trustedCAFile"))
            }
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(
                await eventually {
                    ExhaustionTests.metric(seed, #"colonio_seed_closed_connections_total{reason="tls_handshake_failed"}"#) == 1
                })
            // Another authority's certificate is no better.
            let other = try TestCertificateAuthority(name: "Other CA")
            defer { other.remove() }
            await #expect(throws: SeedClientError.self) { _ = try await Self.connect(port: seed.port, caFile: other.certificatePath) }
            // Through a node: the same, in its seedFailed message.
            let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: InMemoryLinkNetwork()), logger: RunningSeed.logger)
            do throws(ColonioError) {
                try await node.connect(seed: "wss://localhost:\(seed.port)", network: "alpha", token: "alpha-token")
                Issue.record("a node signed in without trusting the seed's authority")
            } catch {
                guard case .seedFailed(let why) = error else { throw error }
                #expect(why.contains("TLS certificate was not accepted"))
            }
            // An IP address cannot be checked against the certificate by this client; a missing CA file.
            await #expect(throws: SeedClientError.hostNameRequired("wss://127.0.0.1:\(seed.port)")) {
                _ = try await SeedClient.connect(
                    url: "wss://127.0.0.1:\(seed.port)", network: "alpha", token: "alpha-token",
                    keypair: Curve25519.Signing.PrivateKey(), logger: RunningSeed.logger)
            }
            do throws(SeedClientError) {
                _ = try await Self.connect(port: seed.port, caFile: authority.directory + "/missing.pem")
                Issue.record("a missing CA file was accepted")
            } catch {
                guard case .unusableTrustedCAFile = error else { throw error }
            }
            // With the CA it works.
            let client = try await Self.connect(port: seed.port, caFile: authority.certificatePath)
            #expect(client.isConnected)
            await client.close()
        }
    }

    /// Pages, health and metrics over `https://`; plain HTTP to the TLS port gets no answer.
    @Test func servesHTTPSWithTheConfiguredCertificate() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue(file: "seed")
        try await RunningSeed.with(Self.configuration(issued)) { seed in
            let response = try await HTTPSProbe.get("/healthz", port: seed.port, trusting: authority.certificatePath)
            #expect(response.text.hasPrefix("HTTP/1.1 200"))
            #expect(response.text.hasSuffix("\r\n\r\nok\n"))
            #expect(response.certificate == (try NIOSSLCertificate.fromPEMFile(issued.certificateChainPath).first))
            await #expect(throws: (any Error).self) { _ = try await RawConnection.request("/healthz", port: seed.port) }
        }
    }

    /// A reload serves the new certificate to new connections; a bad new file keeps the old one.
    @Test func reloadServesTheNewCertificateToNewConnections() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let first = try authority.issue(file: "first")
        let live = TestCertificateAuthority.Issued(
            certificateChainPath: authority.directory + "/live.pem", privateKeyPath: authority.directory + "/live.key")
        @Sendable func install(_ issued: TestCertificateAuthority.Issued) throws {
            for (from, to) in [(issued.certificateChainPath, live.certificateChainPath), (issued.privateKeyPath, live.privateKeyPath)] {
                try? FileManager.default.removeItem(atPath: to)
                try FileManager.default.copyItem(atPath: from, toPath: to)
            }
        }
        try install(first)
        try await RunningSeed.with(Self.configuration(live)) { seed in
            let open = try await Self.connect(port: seed.port, caFile: authority.certificatePath)
            let before = try await HTTPSProbe.get("/healthz", port: seed.port, trusting: authority.certificatePath)
            #expect(before.certificate == (try NIOSSLCertificate.fromPEMFile(first.certificateChainPath).first))

            let second = try authority.issue(file: "second")
            try install(second)
            try seed.server.reloadTLS()
            let after = try await HTTPSProbe.get("/healthz", port: seed.port, trusting: authority.certificatePath)
            let secondCertificate = try NIOSSLCertificate.fromPEMFile(second.certificateChainPath).first
            #expect(after.certificate == secondCertificate)
            // The connection made before the reload carries on.
            #expect(open.isConnected)
            try open.sendKeepalive()

            // A broken key: the reload fails with what is wrong, and the second certificate stays.
            try Data("not a key".utf8).write(to: URL(fileURLWithPath: live.privateKeyPath))
            #expect(throws: SeedTLSError.self) { try seed.server.reloadTLS() }
            let kept = try await HTTPSProbe.get("/healthz", port: seed.port, trusting: authority.certificatePath)
            #expect(kept.certificate == secondCertificate)
            await open.close()
        }
    }

    /// Missing, unreadable, malformed and mismatched files stop the seed at start with what to do.
    @Test func unusableFilesAreRefusedWithWhatToDo() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let one = try authority.issue(file: "one")
        let two = try authority.issue(file: "two")
        func load(_ chain: String, _ key: String) -> SeedTLSError? {
            do throws(SeedTLSError) {
                _ = try SeedTLS(configuration: SeedTLSConfiguration(certificateChainFile: chain, privateKeyFile: key))
                return nil
            } catch {
                return error
            }
        }
        let missing = authority.directory + "/missing.pem"
        #expect(load(missing, one.privateKeyPath) == .missingFile(.certificateChain, path: missing))
        #expect(load(one.certificateChainPath, missing) == .missingFile(.privateKey, path: missing))
        #expect(load(missing, one.privateKeyPath)?.description.contains("point tls.certificateChain at") == true)
        guard case .unreadableFile(.certificateChain, _, _)? = load(authority.directory, one.privateKeyPath) else {
            Issue.record("a folder was read as a certificate")
            return
        }
        guard case .badCertificate? = load(one.privateKeyPath, one.privateKeyPath) else {
            Issue.record("a key was taken for a certificate")
            return
        }
        guard case .badPrivateKey? = load(one.certificateChainPath, one.certificateChainPath) else {
            Issue.record("a certificate was taken for a key")
            return
        }
        let mismatch = load(one.certificateChainPath, two.privateKeyPath)
        guard case .keyMismatch? = mismatch else {
            Issue.record("a key of another certificate was accepted: \(String(describing: mismatch))")
            return
        }
        #expect(mismatch?.description.contains("does not belong to the certificate") == true)
        #expect(load(one.certificateChainPath, one.privateKeyPath) == nil)
        // Expired (checked as of two days from now).
        let tls = try SeedTLS(
            configuration: SeedTLSConfiguration(certificateChainFile: one.certificateChainPath, privateKeyFile: one.privateKeyPath))
        #expect(throws: SeedTLSError.self) { try tls.reload(now: Date().addingTimeInterval(2 * 86_400)) }
        // The JSON form.
        let json = #"{"networks": [{"name": "a", "tokens": ["t"]}], "tls": {"certificateChain": "c.pem", "privateKey": "k.pem"}}"#
        let configuration = try SeedConfiguration.decode(json: Data(json.utf8))
        #expect(configuration.tls == SeedTLSConfiguration(certificateChainFile: "c.pem", privateKeyFile: "k.pem"))
        #expect(throws: SeedConfigurationError.self) {
            _ = try SeedConfiguration.decode(json: Data(#"{"networks": [{"name": "a", "tokens": ["t"]}], "tls": {"certificateChain": "c.pem"}}"#.utf8))
        }
    }

    /// The limits hold with TLS: a connection that never finishes its handshake is closed at the
    /// request deadline, and the per-address cap applies before any handshake.
    @Test func aHandshakeMustFinishWithinTheRequestDeadline() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue(file: "seed")
        let clock = ManualClock()
        let limits = SeedLimitsConfiguration(requestTimeoutMilliseconds: 1000, maximumConnectionsPerAddress: 1)
        try await RunningSeed.with(Self.configuration(issued, limits: limits), clock: clock.colonioClock) { seed in
            try await RawConnection.with(port: seed.port) { silent in
                // Half a handshake: a TLS record header promising more than is sent.
                try await silent.send([0x16, 0x03, 0x01, 0x00, 0x40, 0x01])
                // Accepted connections are admitted on their own event loops: let this one's admission
                // happen before the next connection's (nothing the test can observe says when).
                try await Task.sleep(for: .milliseconds(300))
                await #expect(throws: (any Error).self) {
                    _ = try await HTTPSProbe.get("/healthz", port: seed.port, trusting: authority.certificatePath)
                }
                #expect(ExhaustionTests.metric(seed, #"colonio_seed_refused_connections_total{reason="address_full"}"#) == 1)
                let closed = await ExhaustionTests.advance(clock, by: .milliseconds(300), atMost: 40) {
                    ExhaustionTests.metric(seed, #"colonio_seed_closed_connections_total{reason="request_deadline"}"#) == 1
                }
                #expect(closed)
                if closed { #expect(((try? await silent.receiveToEnd()) ?? []).isEmpty) }
            }
            #expect(await eventually { (try? await HTTPSProbe.get("/healthz", port: seed.port, trusting: authority.certificatePath)) != nil })
        }
    }
}

/// One HTTP/1.1 request over TLS to 127.0.0.1 (checked as `localhost`): the answer as text, and the
/// certificate the server presented.
enum HTTPSProbe {
    struct Response: Sendable {
        var text: String
        var certificate: NIOSSLCertificate?
    }

    static func get(_ path: String, port: Int, trusting caFile: String) async throws -> Response {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(caFile)
        let context = try NIOSSLContext(configuration: configuration)
        let done = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Response.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOSSLClientHandler(context: context, serverHostname: "localhost"), Collector(done: done),
                    ])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let request = "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        channel.writeAndFlush(ByteBuffer(string: request), promise: nil)
        defer { channel.close(promise: nil) }
        return try await done.futureResult.get()
    }

    struct NoAnswer: Error {}

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let done: EventLoopPromise<Response>
        var bytes: [UInt8] = []
        var certificate: NIOSSLCertificate?
        var finished = false

        init(done: EventLoopPromise<Response>) { self.done = done }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if certificate == nil {
                certificate = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).peerCertificate
            }
            bytes += unwrapInboundIn(data).readableBytesView
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish(bytes.isEmpty ? .failure(NoAnswer()) : .success(Response(text: String(decoding: bytes, as: UTF8.self), certificate: certificate)))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // The server's close after `Connection: close` may come without TLS's closing handshake.
            if bytes.isEmpty { finish(.failure(error)) }
            context.close(promise: nil)
        }

        private func finish(_ result: Result<Response, any Error>) {
            guard !finished else { return }
            finished = true
            done.completeWith(result)
        }
    }
}
