import Testing
@testable import ColonioCore

@Suite struct OverlayPacketTests {
    static let a = NodeID(high: 0x0123_4567_89ab_cdef, low: 42)
    static let b = NodeID(high: 0xfedc_ba98_7654_3210, low: 7)

    static let bodies: [OverlayBody] = [
        .linkState(LinkState(role: .neighbour, successors: [a, b], predecessors: [b], closing: false)),
        .linkState(LinkState(role: .none, closing: true)),
        .ownerQuery,
        .ownerReply(OwnerReply(owner: a, successors: [b], predecessors: [a, b])),
        .keepalive,
        .message(ApplicationMessage(name: "chat", payload: [1, 2, 3])),
        .message(ApplicationMessage(name: "empty", payload: [])),
        .reply([9, 8, 7]),
        .reply([]),
        .failure(DeliveryFailure(code: .noHandler, detail: "no handler named chat")),
        .failure(DeliveryFailure(code: .hopLimitExceeded)),
        .spread([0xAA, 0xBB]),
        .kvs([0xCC]),
        .signal(signed(SignalPayload(sessionID: 99, kind: .offer(sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n")))),
        .signal(signed(SignalPayload(sessionID: 1, kind: .candidate(candidate: "candidate:1 1 udp 2122260223 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0)))),
    ]

    static func signed(_ signal: SignalPayload) -> SignedSignal {
        let certificate = NodeCertificate(
            network: "net", nodeID: a, publicKey: [UInt8](repeating: 4, count: 32), expiry: 1_900_000_000,
            signature: [UInt8](repeating: 5, count: 64))
        return SignedSignal(certificate: certificate, signal: signal, signature: [UInt8](repeating: 6, count: 64))
    }

    /// The unsigned signal body of the first protocol version (field 50) is no longer read.
    @Test func anUnsignedSignalBodyIsNotDecoded() throws {
        var writer = WireWriter()
        writer.write(field: 50, message: SignalPayload(sessionID: 1, kind: .answer(sdp: "v=0")))
        #expect(throws: WireDecodingError.missingField(0)) { try OverlayBody(decoding: writer.bytes) }
    }

    @Test func aSignedSignalWithoutAFullSignatureIsNotDecoded() throws {
        var signal = Self.signed(SignalPayload(sessionID: 1, kind: .answer(sdp: "v=0")))
        signal.signature = [1, 2, 3]
        #expect(throws: WireDecodingError.invalidValue(field: 3)) { try SignedSignal(decoding: signal.encoded()) }
    }

    @Test(arguments: bodies)
    func bodyRoundTrips(_ body: OverlayBody) throws {
        #expect(try OverlayBody(decoding: body.encoded()) == body)
    }

    @Test func packetRoundTripsWithEveryField() throws {
        let packet = OverlayPacket(
            destination: Self.a, mode: .toOwnerOf, source: Self.b, hopCount: 5, packetID: .max, requestID: 77,
            isResponse: true, fragmentIndex: 2, fragmentCount: 3, body: [1, 2, 3, 4])
        #expect(try OverlayPacket(decoding: packet.encoded()) == packet)
        let minimal = OverlayPacket(destination: Self.a, mode: .toNode, source: Self.b, packetID: 0, body: [])
        #expect(try OverlayPacket(decoding: minimal.encoded()) == minimal)
        let neighbour = OverlayPacket(destination: Self.a, mode: .toNeighbour, source: Self.b, packetID: 1, body: [0])
        #expect(try OverlayPacket(decoding: neighbour.encoded()) == neighbour)
    }

    @Test func headerStaysWithinTheFrameAllowance() {
        let packet = OverlayPacket(
            destination: .max, mode: .toNeighbour, source: .max, hopCount: .max, packetID: .max, requestID: .max,
            isResponse: true, fragmentIndex: .max - 1, fragmentCount: .max, body: [])
        #expect(packet.encoded().count <= OverlayPacket.maximumHeaderBytes)
    }

    @Test func unknownFieldsAreSkipped() throws {
        let packet = OverlayPacket(destination: Self.a, mode: .toNode, source: Self.b, packetID: 3, body: [5])
        var writer = WireWriter()
        packet.encode(to: &writer)
        writer.write(field: 99, string: "from a newer version")
        #expect(try OverlayPacket(decoding: writer.bytes) == packet)
        var body = WireWriter()
        body.write(field: 59, bytes: [1, 2])
        OverlayBody.keepalive.encode(to: &body)
        #expect(try OverlayBody(decoding: body.bytes) == .keepalive)
    }

    @Test func invalidPacketsAreRejected() {
        func encode(_ build: (inout WireWriter) -> Void) -> [UInt8] {
            var writer = WireWriter()
            build(&writer)
            return writer.bytes
        }
        let noSource = encode { $0.write(field: 1, nodeID: Self.a) }
        #expect(throws: WireDecodingError.missingField(3)) { try OverlayPacket(decoding: noSource) }
        let noDestination = encode { $0.write(field: 3, nodeID: Self.a) }
        #expect(throws: WireDecodingError.missingField(1)) { try OverlayPacket(decoding: noDestination) }
        let badMode = encode {
            $0.write(field: 1, nodeID: Self.a)
            $0.write(field: 2, uint64: 9)
            $0.write(field: 3, nodeID: Self.b)
        }
        #expect(throws: WireDecodingError.invalidValue(field: 2)) { try OverlayPacket(decoding: badMode) }
        let badFragment = encode {
            $0.write(field: 1, nodeID: Self.a)
            $0.write(field: 3, nodeID: Self.b)
            $0.write(field: 8, uint64: 3)
            $0.write(field: 9, uint64: 3)
        }
        #expect(throws: WireDecodingError.invalidValue(field: 8)) { try OverlayPacket(decoding: badFragment) }
        let zeroFragments = encode {
            $0.write(field: 1, nodeID: Self.a)
            $0.write(field: 3, nodeID: Self.b)
            $0.write(field: 9, uint64: 0)
        }
        #expect(throws: WireDecodingError.invalidValue(field: 9)) { try OverlayPacket(decoding: zeroFragments) }
        let responseWithoutRequest = encode {
            $0.write(field: 1, nodeID: Self.a)
            $0.write(field: 3, nodeID: Self.b)
            $0.write(field: 7, bool: true)
        }
        #expect(throws: WireDecodingError.invalidValue(field: 7)) { try OverlayPacket(decoding: responseWithoutRequest) }
        let shortID = encode {
            $0.write(field: 1, bytes: [1, 2, 3])
            $0.write(field: 3, nodeID: Self.b)
        }
        #expect(throws: WireDecodingError.invalidValue(field: 1)) { try OverlayPacket(decoding: shortID) }
        #expect(throws: WireDecodingError.missingField(0)) { try OverlayBody(decoding: []) }
    }

    @Test func listsLongerThanTheLimitAreRejected() {
        let state = LinkState(role: .neighbour, successors: Array(repeating: Self.a, count: LinkState.maximumListCount + 1))
        #expect(throws: WireDecodingError.countLimitExceeded(field: 2, limit: LinkState.maximumListCount)) {
            try LinkState(decoding: state.encoded())
        }
        let name = String(repeating: "n", count: ApplicationMessage.maximumNameBytes + 1)
        let message = ApplicationMessage(name: name, payload: [])
        #expect(throws: WireDecodingError.self) { try ApplicationMessage(decoding: message.encoded()) }
    }

    @Test func truncatedPacketsNeverDecode() throws {
        let packet = OverlayPacket(
            destination: Self.a, mode: .toOwnerOf, source: Self.b, hopCount: 2, packetID: 12345, requestID: 9,
            body: OverlayBody.message(ApplicationMessage(name: "x", payload: [1, 2, 3])).encoded())
        let bytes = packet.encoded()
        for length in 0..<bytes.count {
            // Every prefix either fails or (when it ends between fields) decodes to something else.
            if let decoded = try? OverlayPacket(decoding: Array(bytes.prefix(length))) {
                #expect(decoded != packet)
            }
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var random = SplitMix64(seed: 5)
        var decodedPackets = 0
        for _ in 0..<20_000 {
            let length = Int(random.next() % 80)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if (try? OverlayPacket(decoding: bytes)) != nil { decodedPackets += 1 }
            _ = try? OverlayBody(decoding: bytes)
            _ = try? LinkState(decoding: bytes)
        }
        #expect(decodedPackets < 20_000)
    }
}
