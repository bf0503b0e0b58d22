import Testing
@testable import ColonioCore

@Suite struct SeedFrameTests {
    static let key = [UInt8](repeating: 7, count: 32)
    static let nodeA = NodeID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
    static let nodeB = NodeID(high: 1, low: 2)

    static let certificate = NodeCertificate(
        network: "game", nodeID: nodeA, publicKey: key, expiry: 1_800_000_000,
        signature: [UInt8](repeating: 9, count: 64))

    static let configuration: NetworkConfiguration = {
        var routing = RoutingSettings()
        routing.maximumLinks = 30
        var kvs = KVSSettings()
        kvs.replicationFactor = 5
        var spread = SpreadSettings()
        spread.inlinePayloadBytes = 100
        return NetworkConfiguration(
            name: "game",
            iceServers: [
                ICEServerConfiguration(urls: ["stun:127.0.0.1:3478"]),
                ICEServerConfiguration(
                    urls: ["turn:127.0.0.1:3478?transport=udp", "turns:127.0.0.1:5349"], username: "1700:abc",
                    credential: "c2VjcmV0"),
            ],
            space: .sphere(radius: 6_371_000), routing: routing, kvs: kvs, spread: spread)
    }()

    static let frames: [SeedFrame] = [
        .signIn(SignInRequest(network: "game", token: "s3cret", publicKey: key)),
        .signIn(
            SignInRequest(
                network: "game", token: "s3cret", publicKey: key,
                resume: SignInResume(
                    certificate: certificate, unixSeconds: 1_700_000_000, challenge: [UInt8](repeating: 9, count: 16),
                    signature: [UInt8](repeating: 3, count: 64)))),
        .challenge(nonce: [UInt8](repeating: 7, count: 16)),
        .findPeers,
        .renewCertificate,
        .signal(to: nodeB, payload: SignalPayload(sessionID: 42, kind: .offer(sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"))),
        .signal(to: nodeB, payload: SignalPayload(sessionID: 0, kind: .answer(sdp: ""))),
        .signal(
            to: nodeB,
            payload: SignalPayload(
                sessionID: UInt64.max,
                kind: .candidate(
                    candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0",
                    sdpMLineIndex: 0))),
        .signal(
            to: nodeB,
            payload: SignalPayload(sessionID: 3, kind: .candidate(candidate: "", sdpMid: nil, sdpMLineIndex: nil))),
        .keepalive(nonce: 0),
        .keepalive(nonce: 99),
        .signedIn(
            SignInResponse(
                nodeID: nodeA, certificate: certificate, seedPublicKey: key, configuration: configuration,
                bootstrapPeers: [nodeB, .zero, .max], keepaliveIntervalMilliseconds: 10_000)),
        .signedIn(
            SignInResponse(
                nodeID: nodeA, certificate: certificate, seedPublicKey: key,
                configuration: NetworkConfiguration(name: "x", space: .torus(width: 10, height: 20)),
                bootstrapPeers: [], keepaliveIntervalMilliseconds: 1)),
        .certificateRenewed(
            certificate,
            iceServers: [ICEServerConfiguration(urls: ["turn:127.0.0.1:3478"], username: "1700000000:ab", credential: "c")]),
        .relayedSignal(from: nodeA, payload: SignalPayload(sessionID: 7, kind: .answer(sdp: "sdp"))),
        .error(SeedErrorMessage(code: .badToken, message: "wrong token")),
        .error(SeedErrorMessage(code: .unknownPeer, message: "gone", peer: nodeB, sessionID: 5)),
        .error(SeedErrorMessage(code: SeedErrorCode(rawValue: 999), message: "")),
        .keepaliveAck(nonce: 12345),
        .peersFound([]),
        .peersFound([nodeB, nodeA]),
    ]

    @Test(arguments: frames)
    func roundTrips(_ frame: SeedFrame) throws {
        let decoded = try SeedFrame(decoding: frame.encoded())
        #expect(decoded == frame)
    }

    @Test func directionsAreClassified() {
        let client = SeedFrameTests.frames.filter(\.isClientFrame).count
        #expect(client == 10)
    }

    @Test func signedBytesAreDomainSeparatedAndExcludeTheSignature() {
        var certificate = SeedFrameTests.certificate
        let signed = certificate.signedBytes
        #expect(Array(signed.prefix(NodeCertificate.signatureDomain.count)) == NodeCertificate.signatureDomain)
        certificate.signature = [UInt8](repeating: 1, count: 64)
        #expect(certificate.signedBytes == signed)
        certificate.expiry += 1
        #expect(certificate.signedBytes != signed)
        // Exact layout: domain, then field 1 "game", field 2 node ID, field 3 key, field 4 expiry.
        var expected = Array("colonio-node-certificate-v1".utf8) + [0]
        expected += [0x0A, 4] + Array("game".utf8)
        expected += [0x12, 16, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10]
        expected += [0x1A, 32] + SeedFrameTests.key
        expected += [0x20, 0x80, 0xA4, 0xA7, 0xDA, 0x06]
        #expect(SeedFrameTests.certificate.signedBytes == expected)
    }

    @Test func resumeClaimsSignTheirOwnDomainNetworkIDTimeAndChallenge() {
        var claim = SignInResume(certificate: SeedFrameTests.certificate, unixSeconds: 1_700_000_000, challenge: [0xC0, 0xDE])
        let signed = claim.signedBytes
        var expected = Array("colonio-sign-in-resume-v2".utf8) + [0]
        expected += [0x0A, 4] + Array("game".utf8)
        expected += [0x12, 16, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10]
        expected += [0x18, 0x80, 0xE2, 0xCF, 0xAA, 0x06]
        expected += [0x22, 2, 0xC0, 0xDE]
        #expect(signed == expected)
        // A certificate signature can never pass for a claim, nor the reverse.
        #expect(Array(signed.prefix(SignInResume.signatureDomain.count)) != NodeCertificate.signatureDomain)
        claim.signature = [UInt8](repeating: 1, count: 64)
        #expect(claim.signedBytes == signed)
        claim.unixSeconds += 1
        #expect(claim.signedBytes != signed)
        claim.unixSeconds -= 1
        claim.challenge = [0xC0, 0xDF]
        #expect(claim.signedBytes != signed)
    }

    @Test func aResumeClaimWithAShortSignatureIsRejected() {
        let claim = SignInResume(certificate: SeedFrameTests.certificate, unixSeconds: 1, challenge: [], signature: [1, 2])
        #expect(throws: WireDecodingError.invalidValue(field: 3)) { try SignInResume(decoding: claim.encoded()) }
    }

    @Test func tooManyFoundPeersAreRejected() {
        let frame = SeedFrame.peersFound([NodeID](repeating: .max, count: SeedLimits.bootstrapPeers + 1))
        #expect(throws: WireDecodingError.countLimitExceeded(field: 1, limit: 64)) { try SeedFrame(decoding: frame.encoded()) }
    }

    @Test func validityFollowsExpiry() {
        #expect(SeedFrameTests.certificate.isValid(atUnixSeconds: 1_799_999_999))
        #expect(!SeedFrameTests.certificate.isValid(atUnixSeconds: 1_800_000_000))
    }

    @Test func emptyFrameIsRejected() {
        #expect(throws: WireDecodingError.missingField(1)) { try SeedFrame(decoding: []) }
    }

    @Test func unknownFieldsAreSkipped() throws {
        var writer = WireWriter()
        writer.write(field: 100, string: "future")
        writer.write(field: 4, message: KeepaliveMessage(nonce: 3))
        #expect(try SeedFrame(decoding: writer.bytes) == .keepalive(nonce: 3))
    }

    @Test func oversizedStringsAreRejected() {
        let request = SignInRequest(
            network: String(repeating: "n", count: SeedLimits.networkNameBytes + 1), token: "t", publicKey: [])
        #expect(throws: WireDecodingError.lengthLimitExceeded(length: 129, limit: 128)) {
            try SeedFrame(decoding: SeedFrame.signIn(request).encoded())
        }
        let sdp = String(repeating: "s", count: SeedLimits.sdpBytes + 1)
        let frame = SeedFrame.signal(to: .zero, payload: SignalPayload(sessionID: 1, kind: .offer(sdp: sdp)))
        #expect(throws: WireDecodingError.lengthLimitExceeded(length: 65_537, limit: 65_536)) {
            try SeedFrame(decoding: frame.encoded())
        }
    }

    @Test func tooManyBootstrapPeersAreRejected() {
        let response = SignInResponse(
            nodeID: .zero, certificate: SeedFrameTests.certificate, seedPublicKey: SeedFrameTests.key,
            configuration: SeedFrameTests.configuration,
            bootstrapPeers: [NodeID](repeating: .zero, count: SeedLimits.bootstrapPeers + 1),
            keepaliveIntervalMilliseconds: 1)
        #expect(throws: WireDecodingError.countLimitExceeded(field: 5, limit: 64)) {
            try SeedFrame(decoding: SeedFrame.signedIn(response).encoded())
        }
    }

    @Test func wrongKeyAndSignatureLengthsAreRejected() {
        var certificate = SeedFrameTests.certificate
        certificate.signature = [1, 2, 3]
        #expect(throws: WireDecodingError.invalidValue(field: 5)) {
            try NodeCertificate(decoding: certificate.encoded())
        }
        certificate.signature = []
        certificate.publicKey = [1]
        #expect(throws: WireDecodingError.invalidValue(field: 3)) {
            try NodeCertificate(decoding: certificate.encoded())
        }
    }

    @Test func configurationWithoutSpaceIsRejected() {
        var writer = WireWriter()
        writer.write(field: 1, string: "game")
        #expect(throws: WireDecodingError.missingField(3)) { try NetworkConfiguration(decoding: writer.bytes) }
    }

    @Test func errorCodeNamesAreStable() {
        #expect(SeedErrorCode.unknownNetwork.name == "unknown_network")
        #expect(SeedErrorCode.frameTooLarge.rawValue == 4)
        #expect(SeedErrorCode(rawValue: 77).name == "code_77")
        #expect(SeedErrorCode.resumeRefused.rawValue == 13)
        #expect(SeedErrorCode.resumeRefused.name == "resume_refused")
    }

    /// Seeded garbage: every input either decodes or throws; nothing traps or hangs.
    @Test func garbageNeverCrashes() {
        var rng = SplitMix64(seed: 4)
        let valid = SeedFrameTests.frames.map { $0.encoded() }
        var decoded = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                // Mutate a valid frame: flip bytes, truncate.
                bytes = valid[Int(rng.next() % UInt64(valid.count))]
                for _ in 0..<3 where !bytes.isEmpty {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 2 == 0, !bytes.isEmpty { bytes.removeLast(Int(rng.next() % UInt64(bytes.count))) }
            }
            if (try? SeedFrame(decoding: bytes)) != nil { decoded += 1 }
        }
        #expect(decoded < 3000)
    }
}
