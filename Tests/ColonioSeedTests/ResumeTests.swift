import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Crypto
import Foundation
import Testing

/// A node that lost its seed connection signs in again under its ID (`SignInRequest.resume`), and a
/// node without links asks for the registered nodes nearest it (`findPeers`).
@Suite(.timeLimit(.minutes(1))) struct ResumeTests {
    static func claim(
        _ certificate: NodeCertificate, key: Curve25519.Signing.PrivateKey, challenge: [UInt8],
        at unixSeconds: UInt64 = UInt64(Date().timeIntervalSince1970)
    ) throws -> SignInResume {
        var claim = SignInResume(certificate: certificate, unixSeconds: unixSeconds, challenge: challenge)
        claim.signature = Array(try key.signature(for: claim.signedBytes))
        return claim
    }

    /// Opens a socket, makes the sign-in for its challenge, sends it and returns the seed's first answer.
    static func signIn(
        at seed: RunningSeed, _ request: ([UInt8]) throws -> SignInRequest
    ) async throws -> (SeedFrame?, RawSeedSocket) {
        let socket = RawSeedSocket(url: seed.url)
        let challenge = try #require(await socket.challenge())
        socket.send(.signIn(try request(challenge)))
        return (await next(socket.frames), socket)
    }

    /// A node signed in (`first`), another node (`other`), then the first node's ID resumed on a second
    /// connection (`second`) while the first is still open.
    static func resumedWhileOpen(at seed: RunningSeed) async throws -> (first: SeedClient, other: SeedClient, second: SeedClient) {
        let key = Curve25519.Signing.PrivateKey()
        let first = try await SeedClient.connect(
            url: seed.url, network: "alpha", token: "alpha-token", keypair: key, logger: RunningSeed.logger)
        let other = try await seed.connect()
        let second = try await SeedClient.connect(
            url: seed.url, network: "alpha", token: "alpha-token", keypair: key, resuming: first.certificate,
            logger: RunningSeed.logger)
        return (first, other, second)
    }

    static func isRefusal(_ frame: SeedFrame?) -> Bool {
        if case .error(let error) = frame { return error.code == .resumeRefused }
        return false
    }

    @Test func aResumedSignInKeepsTheIDAndTakesOverTheRegistration() async throws {
        try await RunningSeed.with { seed in
            // The first connection is still open: the resumed one displaces it.
            let (first, other, second) = try await Self.resumedWhileOpen(at: seed)
            let id = first.session.nodeID
            #expect(second.session.nodeID == id)
            #expect(second.session.certificate.nodeID == id)
            try second.session.certificate.verify(seedPublicKey: seed.signingKey.publicKeyBytes, network: "alpha")
            #expect(second.session.bootstrapPeers == [other.session.nodeID])
            #expect(seed.registry.nodes(network: "alpha").sorted() == [id, other.session.nodeID].sorted())

            // Signals to the ID reach the new connection, and the old one's close leaves it registered.
            await first.close()
            let payload = SignalPayload(sessionID: 7, kind: .offer(sdp: "v=0"))
            try other.send(signal: payload, to: id)
            let relayed = await next(second.signals)
            #expect(relayed?.from == other.session.nodeID)
            #expect(relayed?.payload == payload)
            #expect(seed.registry.nodeCount(network: "alpha") == 2)

            await second.close()
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 1 })
            await other.close()
        }
    }

    /// Issue #18, finding 2: the connection a resumed sign-in displaced could still send signals as
    /// the ID. It is now closed (1008) as soon as the ID moves.
    @Test func aDisplacedConnectionCanNoLongerActAsTheID() async throws {
        try await RunningSeed.with { seed in
            let (first, other, second) = try await Self.resumedWhileOpen(at: seed)
            let payload = SignalPayload(sessionID: 9, kind: .offer(sdp: "v=0"))
            let closed = await eventually {
                do {
                    try first.send(signal: payload, to: other.session.nodeID)
                    return false
                } catch {
                    return true
                }
            }
            #expect(closed)
            #expect(seed.server.metrics.render().contains(#"colonio_seed_closed_connections_total{reason="displaced_by_resume"} 1"#))
            // The ID still works through the connection that took it.
            let fromSecond = SignalPayload(sessionID: 10, kind: .offer(sdp: "v=0"))
            try second.send(signal: fromSecond, to: other.session.nodeID)
            var from: NodeID?
            // Bounded: the displaced connection's signals sent before it closed may come first.
            for _ in 0..<50 {
                guard let relayed = await next(other.signals) else { break }
                if relayed.payload == fromSecond {
                    from = relayed.from
                    break
                }
            }
            #expect(from == first.session.nodeID)
            await second.close()
            await other.close()
            await first.close()
        }
    }

    @Test func aNodeReturnsUnderItsIDAfterItsConnectionClosed() async throws {
        try await RunningSeed.with { seed in
            let key = Curve25519.Signing.PrivateKey()
            let first = try await SeedClient.connect(
                url: seed.url, network: "alpha", token: "alpha-token", keypair: key, logger: RunningSeed.logger)
            let certificate = first.certificate
            await first.close()
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 0 })
            let again = try await SeedClient.connect(
                url: seed.url, network: "alpha", token: "alpha-token", keypair: key, resuming: certificate,
                logger: RunningSeed.logger)
            #expect(again.session.nodeID == certificate.nodeID)
            #expect(seed.registry.nodes(network: "alpha") == [certificate.nodeID])
            await again.close()
        }
    }

    @Test func unsoundClaimsAreRefusedWithResumeRefused() async throws {
        try await RunningSeed.with { seed in
            let key = Curve25519.Signing.PrivateKey()
            let publicKey = Array(key.publicKey.rawRepresentation)
            let client = try await SeedClient.connect(
                url: seed.url, network: "alpha", token: "alpha-token", keypair: key, logger: RunningSeed.logger)
            let certificate = client.certificate
            await client.close()
            let now = UInt64(Date().timeIntervalSince1970)

            // Signed by another seed's key.
            let foreign = SeedSigningKey().sign(certificate)
            // Past its expiry, though signed by this seed.
            var expired = certificate
            expired.expiry = now - 1
            expired = seed.signingKey.sign(expired)
            // Another node's key in the request.
            let thief = Curve25519.Signing.PrivateKey()
            let request = { (claim: SignInResume) in
                SignInRequest(network: "alpha", token: "alpha-token", publicKey: publicKey, resume: claim)
            }
            // A sound claim, but made for another connection's challenge (a replayed claim).
            let elsewhere = RawSeedSocket(url: seed.url)
            let otherChallenge = try #require(await elsewhere.challenge())
            let replayed = try Self.claim(certificate, key: key, challenge: otherChallenge)
            await elsewhere.close()

            let cases: [(String, ([UInt8]) throws -> SignInRequest)] = [
                ("another seed's certificate", { request(try Self.claim(foreign, key: key, challenge: $0)) }),
                ("an expired certificate", { request(try Self.claim(expired, key: key, challenge: $0)) }),
                ("a copied certificate with another key", {
                    SignInRequest(network: "alpha", token: "alpha-token", publicKey: Array(thief.publicKey.rawRepresentation),
                                  resume: try Self.claim(certificate, key: thief, challenge: $0))
                }),
                ("a claim signed by another key", { request(try Self.claim(certificate, key: thief, challenge: $0)) }),
                ("a tampered claim signature", {
                    var tampered = try Self.claim(certificate, key: key, challenge: $0)
                    tampered.signature[0] ^= 1
                    return request(tampered)
                }),
                // Issue #18, finding 2: a claim dated ahead stayed replayable for up to 10 minutes.
                ("a claim dated a minute ahead", { request(try Self.claim(certificate, key: key, challenge: $0, at: now + 60)) }),
                ("a claim signed an hour ago", { request(try Self.claim(certificate, key: key, challenge: $0, at: now - 3600)) }),
                // Issue #18, finding 2: a claim is bound to the connection it was made on.
                ("a claim answering another connection's challenge", { _ in request(replayed) }),
                ("a claim without a challenge", { _ in request(try Self.claim(certificate, key: key, challenge: [])) }),
            ]
            for (name, makeRequest) in cases {
                let (answer, socket) = try await Self.signIn(at: seed, makeRequest)
                #expect(Self.isRefusal(answer), "\(name): \(String(describing: answer))")
                await socket.close()
            }
            #expect(seed.registry.nodeCount(network: "alpha") == 0)
            // The same claim on the connection whose challenge it answers is accepted.
            let (accepted, acceptedSocket) = try await Self.signIn(at: seed) { request(try Self.claim(certificate, key: key, challenge: $0)) }
            if case .signedIn(let response) = accepted { #expect(response.nodeID == certificate.nodeID) } else { Issue.record("refused: \(String(describing: accepted))") }
            await acceptedSocket.close()
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 0 })

            // The token is checked first: a sound claim with a wrong token is a bad token.
            let (answer, socket) = try await Self.signIn(at: seed) {
                SignInRequest(network: "alpha", token: "wrong", publicKey: publicKey, resume: try Self.claim(certificate, key: key, challenge: $0))
            }
            if case .error(let error) = answer { #expect(error.code == .badToken) } else { Issue.record("no error: \(String(describing: answer))") }
            await socket.close()
        }
    }

    @Test func aCertificateOfAnotherNetworkIsRefused() async throws {
        let networks = [
            NetworkDefinition(name: "alpha", tokens: ["alpha-token"]), NetworkDefinition(name: "beta", tokens: ["beta-token"]),
        ]
        try await RunningSeed.with(RunningSeed.configuration(networks: networks)) { seed in
            let key = Curve25519.Signing.PrivateKey()
            let client = try await SeedClient.connect(
                url: seed.url, network: "beta", token: "beta-token", keypair: key, logger: RunningSeed.logger)
            let certificate = client.certificate
            await client.close()
            await #expect {
                _ = try await SeedClient.connect(
                    url: seed.url, network: "alpha", token: "alpha-token", keypair: key, resuming: certificate,
                    logger: RunningSeed.logger)
            } throws: { error in
                guard case SeedClientError.rejected(let message) = error else { return false }
                return message.code == .resumeRefused
            }
            #expect(seed.registry.nodeCount(network: "alpha") == 0)
        }
    }

    @Test func findPeersNamesTheNearestOthers() async throws {
        try await RunningSeed.with { seed in
            let alone = try await seed.connect()
            #expect(try await alone.findPeers() == [])
            var clients = [alone]
            for _ in 0..<4 { clients.append(try await seed.connect()) }
            let ring = seed.registry.nodes(network: "alpha")
            for client in clients {
                let id = client.session.nodeID
                let found = try await client.findPeers()
                #expect(!found.contains(id))
                #expect(Set(found) == Set(ring).subtracting([id]))  // 4 others: two successors, two predecessors
                // Nearest first: the successor, then the predecessor.
                let index = try #require(ring.firstIndex(of: id))
                #expect(found.first == ring[(index + 1) % ring.count])
                #expect(found.dropFirst().first == ring[(index + ring.count - 1) % ring.count])
            }
            for client in clients { await client.close() }
        }
    }

    @Test func findPeersNeedsASignIn() async throws {
        try await RunningSeed.with { seed in
            let socket = RawSeedSocket(url: seed.url)
            socket.send(.findPeers)
            let answer = await next(socket.frames)
            if case .error(let error) = answer { #expect(error.code == .notSignedIn) } else { Issue.record("no error: \(String(describing: answer))") }
            await socket.close()
        }
    }
}
