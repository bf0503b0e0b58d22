import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Crypto
import Testing

@Suite struct SignInTests {
    @Test func signInReturnsIdentityConfigurationAndVerifiableCertificate() async throws {
        var network = NetworkDefinition(
            name: "alpha", tokens: ["alpha-token"],
            iceServers: [
                ICEServerDefinition(urls: ["stun:127.0.0.1:3478"]),
                ICEServerDefinition(urls: ["turn:127.0.0.1:3478"], username: "u", credential: "p"),
                ICEServerDefinition(urls: ["turn:127.0.0.1:3479"], turnSecret: "north-secret", credentialLifetimeSeconds: 600),
            ],
            space: .torus(width: 100, height: 50))
        network.routing.maximumLinks = 12
        try await RunningSeed.with(RunningSeed.configuration(networks: [network])) { seed in
            let key = Curve25519.Signing.PrivateKey()
            let client = try await SeedClient.connect(
                url: seed.url, network: "alpha", token: "alpha-token", keypair: key, logger: RunningSeed.logger)
            let session = client.session
            #expect(session.isAlone)
            #expect(session.certificate.nodeID == session.nodeID)
            #expect(session.certificate.network == "alpha")
            #expect(session.certificate.publicKey == Array(key.publicKey.rawRepresentation))
            #expect(session.seedPublicKey == seed.signingKey.publicKeyBytes)
            #expect(session.configuration.name == "alpha")
            #expect(session.configuration.space == .torus(width: 100, height: 50))
            #expect(session.configuration.routing.maximumLinks == 12)
            #expect(session.keepaliveInterval == .milliseconds(20_000))
            let servers = session.configuration.iceServers
            #expect(servers.count == 3)
            #expect(servers[0] == ICEServerConfiguration(urls: ["stun:127.0.0.1:3478"]))
            #expect(servers[1] == ICEServerConfiguration(urls: ["turn:127.0.0.1:3478"], username: "u", credential: "p"))
            // Derived TURN credentials: "<expiry>:<node ID>" and the matching HMAC.
            let parts = servers[2].username.split(separator: ":")
            #expect(parts.count == 2)
            #expect(parts.last.map(String.init) == session.nodeID.hex)
            #expect(servers[2].credential == TURNCredentials(secret: "north-secret", username: servers[2].username).password)

            try session.certificate.verify(seedPublicKey: seed.signingKey.publicKeyBytes, network: "alpha")
            #expect(seed.registry.nodeCount(network: "alpha") == 1)

            // A second node learns about the first.
            let second = try await seed.connect()
            #expect(second.session.bootstrapPeers == [session.nodeID])
            #expect(second.session.nodeID != session.nodeID)
            await second.close()
            await client.close()
        }
    }

    @Test func certificateFailsVerificationWhenTampered() async throws {
        try await RunningSeed.with { seed in
            let client = try await seed.connect()
            let seedKey = seed.signingKey.publicKeyBytes
            let certificate = client.session.certificate
            #expect(certificate.hasValidSignature(seedPublicKey: seedKey))

            var otherID = certificate
            otherID.nodeID = otherID.nodeID.advanced(by: 1)
            #expect(throws: CertificateVerificationError.badSignature) {
                try otherID.verify(seedPublicKey: seedKey, network: "alpha")
            }
            var longer = certificate
            longer.expiry += 1
            #expect(!longer.hasValidSignature(seedPublicKey: seedKey))
            var flipped = certificate
            flipped.signature[0] ^= 1
            #expect(!flipped.hasValidSignature(seedPublicKey: seedKey))
            var otherKey = certificate
            otherKey.publicKey[31] ^= 0x80
            #expect(!otherKey.hasValidSignature(seedPublicKey: seedKey))
            // Another seed's key does not verify it either.
            #expect(!certificate.hasValidSignature(seedPublicKey: SeedSigningKey().publicKeyBytes))
            #expect(throws: CertificateVerificationError.wrongNetwork(expected: "beta", found: "alpha")) {
                try certificate.verify(seedPublicKey: seedKey, network: "beta")
            }
            #expect(throws: CertificateVerificationError.expired(expiry: certificate.expiry)) {
                try certificate.verify(seedPublicKey: seedKey, network: "alpha", nowUnixSeconds: certificate.expiry)
            }
            // Survives the wire unchanged.
            let decoded = try NodeCertificate(decoding: certificate.encoded())
            #expect(decoded.hasValidSignature(seedPublicKey: seedKey))
            await client.close()
        }
    }

    @Test func wrongTokenIsRefused() async throws {
        try await RunningSeed.with { seed in
            await #expect {
                _ = try await seed.connect(token: "not-the-token")
            } throws: { error in
                guard case SeedClientError.rejected(let message) = error else { return false }
                return message.code == .badToken
            }
            // Every configured token works (rotation).
            let client = try await seed.connect(token: "alpha-old")
            await client.close()
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 0 })
        }
    }

    @Test func unknownNetworkIsRefused() async throws {
        try await RunningSeed.with { seed in
            await #expect {
                _ = try await seed.connect(network: "nowhere")
            } throws: { error in
                guard case SeedClientError.rejected(let message) = error else { return false }
                return message.code == .unknownNetwork
            }
        }
    }

    @Test func fullNetworkIsRefused() async throws {
        let configuration = RunningSeed.configuration(
            networks: [NetworkDefinition(name: "alpha", tokens: ["alpha-token"], maximumNodes: 1)])
        try await RunningSeed.with(configuration) { seed in
            let first = try await seed.connect()
            await #expect {
                _ = try await seed.connect()
            } throws: { error in
                guard case SeedClientError.rejected(let message) = error else { return false }
                return message.code == .networkFull
            }
            await first.close()
        }
    }

    @Test func certificateRenewalExtendsAndStaysValid() async throws {
        try await RunningSeed.with { seed in
            let client = try await seed.connect()
            let renewed = try await client.renewCertificate()
            #expect(renewed.nodeID == client.session.nodeID)
            #expect(renewed.publicKey == client.session.certificate.publicKey)
            #expect(renewed.expiry >= client.session.certificate.expiry)
            try renewed.verify(seedPublicKey: seed.signingKey.publicKeyBytes, network: "alpha")
            #expect(client.certificate == renewed)
            await client.close()
        }
    }

    @Test func secondSignInOnOneConnectionAndBadKeyAreRefused() async throws {
        try await RunningSeed.with { seed in
            let socket = RawSeedSocket(url: seed.url)
            socket.send(.signIn(SignInRequest(network: "alpha", token: "alpha-token", publicKey: [1, 2, 3])))
            guard case .error(let badKey)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(badKey.code == .badPublicKey)
            let key = Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
            socket.send(.signIn(SignInRequest(network: "alpha", token: "alpha-token", publicKey: key)))
            guard case .signedIn? = await next(socket.frames) else { throw SeedTestError.noFrame }
            socket.send(.signIn(SignInRequest(network: "alpha", token: "alpha-token", publicKey: key)))
            guard case .error(let again)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(again.code == .alreadySignedIn)
            await socket.close()
        }
    }
}

/// Issue #18, finding 1: keys anyone can sign for get no certificate.
@Suite struct WeakKeySignInTests {
    @Test(arguments: [
        ("32 zero bytes", [UInt8](repeating: 0, count: 32)),
        ("32 0xFF bytes", [UInt8](repeating: 0xFF, count: 32)),
        ("the identity point", [0x01] + [UInt8](repeating: 0, count: 31)),
        ("the identity point, sign bit set", [0x01] + [UInt8](repeating: 0, count: 30) + [0x80]),
        ("a point of order 8", [
            0x26, 0xE8, 0x95, 0x8F, 0xC2, 0xB2, 0x27, 0xB0, 0x45, 0xC3, 0xF4, 0x89, 0xF2, 0xEF, 0x98, 0xF0,
            0xD5, 0xDF, 0xAC, 0x05, 0xD3, 0xC6, 0x33, 0x39, 0xB1, 0x38, 0x02, 0x88, 0x6D, 0x53, 0xFC, 0x05,
        ]),
    ])
    func weakPublicKeyGetsNoCertificate(name: String, key: [UInt8]) async throws {
        try await RunningSeed.with { seed in
            let socket = RawSeedSocket(url: seed.url)
            socket.send(.signIn(SignInRequest(network: "alpha", token: "alpha-token", publicKey: key)))
            guard case .error(let refusal)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(refusal.code == .badPublicKey, "\(name)")
            #expect(seed.registry.nodeCount(network: "alpha") == 0)
            await socket.close()
        }
    }
}

@Suite struct SeedClientFailureTests {
    @Test func invalidURLIsRefused() async {
        await #expect(throws: SeedClientError.invalidURL("http://127.0.0.1:1")) {
            _ = try await SeedClient.connect(
                url: "http://127.0.0.1:1", network: "alpha", token: "t", keypair: Curve25519.Signing.PrivateKey())
        }
    }

    @Test func unreachableSeedFailsToConnect() async {
        // Nothing listens on port 1 of the loopback interface.
        await #expect {
            _ = try await SeedClient.connect(
                url: "ws://127.0.0.1:1", network: "alpha", token: "t", keypair: Curve25519.Signing.PrivateKey(),
                logger: RunningSeed.logger)
        } throws: { error in
            guard case SeedClientError.connectionFailed = error else { return false }
            return true
        }
    }
}
