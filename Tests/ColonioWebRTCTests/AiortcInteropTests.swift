import ColonioWebRTC
import Testing

extension WebRTCTests {
    /// A `PeerLink` against aiortc, a WebRTC stack that shares no code with libwebrtc (Python; SCTP, DTLS
    /// and ICE of its own), over loopback: `scripts/interop/aiortc_peer.py` frames as the link does and
    /// echoes every message, and reports the size of every SCTP message it received, so the tests see
    /// that our side kept within the limit aiortc advertised (aiortc 1.4 itself enforces none).
    /// Skipped when Debian's python3-aiortc is missing, unless `COLONIO_REQUIRE_INTEROP` is set
    /// (`make interop-test`, part of `make test`, sets it).
    @Suite(.enabled(if: AiortcPeer.isAvailable || AiortcPeer.isRequired, Comment(rawValue: AiortcPeer.unavailableMessage)))
    struct AiortcInteropTests {
        static let sizes = [1, 65_536, 1_048_576]

        /// Our link offers; aiortc answers in the current SDP format with an explicit
        /// `a=max-message-size:65536`, so a 64 KiB message must go as two fragments.
        @Test func swiftOffersAiortcAnswersWithItsExplicit64KiBLimit() async throws {
            let session = try await InteropSession.connect(aiortcRole: .answer)
            #expect(session.aiortcSDP.contains("\r\na=max-message-size:65536\r\n"), "aiortc's answer: \(session.aiortcSDP)")
            #expect(session.ourSDP.contains("\r\na=max-message-size:262144\r\n"), "our offer: \(session.ourSDP)")
            #expect(session.opened.remoteMaxMessageSize == 262_144, "what our side advertises to aiortc")
            #expect(session.opened.localMaxMessageSize == 65_536)
            try await session.echoEach(Self.sizes, limit: 65_536)
            try await session.close()
        }

        /// aiortc offers in the older SDP format (`DTLS/SCTP 5000`, `a=sctpmap`), with
        /// `a=max-message-size:65536` all the same; libwebrtc answers in that format without an
        /// `a=max-message-size` line, which means 64 KiB (RFC 8841), so aiortc sends back 64 KiB at most.
        @Test func aiortcOffersInTheOlderSDPFormat() async throws {
            let session = try await InteropSession.connect(aiortcRole: .offer)
            #expect(session.aiortcSDP.contains("\r\nm=application "), "aiortc's offer: \(session.aiortcSDP)")
            #expect(session.aiortcSDP.contains(" DTLS/SCTP 5000\r\n"), "aiortc's offer: \(session.aiortcSDP)")
            #expect(session.aiortcSDP.contains("\r\na=max-message-size:65536\r\n"), "aiortc's offer: \(session.aiortcSDP)")
            #expect(session.ourSDP.contains("\r\na=sctpmap:5000 webrtc-datachannel"), "our answer: \(session.ourSDP)")
            #expect(!session.ourSDP.contains("a=max-message-size"), "our answer: \(session.ourSDP)")
            #expect(session.opened.remoteMaxMessageSize == 65_536, "what aiortc takes our answer to allow")
            try await session.echoEach(Self.sizes, limit: 65_536)
            try await session.close()
        }

        /// aiortc's offer advertises `limit` (the line rewritten by the script); the messages go out before
        /// the channel is open, so they are queued in fragments of 65,535 bytes and must be cut again when the peer's limit
        /// becomes known.
        @Test(arguments: [65_536, 16_384])
        func aiortcAdvertisingALimitGetsFragmentsWithinIt(limit: Int) async throws {
            let session = try await InteropSession.connect(
                aiortcRole: .offer, arguments: ["--max-message-size", "\(limit)"], sendingBeforeOpen: Self.sizes)
            #expect(session.aiortcSDP.contains("\r\na=max-message-size:\(limit)\r\n"))
            #expect(session.opened.localMaxMessageSize == limit)
            try await session.expectEchoes(of: Self.sizes, limit: limit, queuedBeforeOpen: true)
            try await session.close()
        }

        /// aiortc sends back in fragments of any size up to what our side advertises (262,144 bytes with the
        /// flag byte: aiortc's default here); we join them all the same.
        @Test(arguments: [1_000, 65_536, 262_143])
        func fragmentsOfEverySizeFromAiortcAreJoined(fragmentBytes: Int) async throws {
            let session = try await InteropSession.connect(
                aiortcRole: .answer, arguments: ["--fragment-bytes", "\(fragmentBytes)"])
            #expect(session.opened.fragmentBytes == fragmentBytes)
            try await session.echoEach([0, 1, 999, 1_000, 1_001, 65_536, 262_144, 1_048_576], limit: 65_536)
            try await session.close()
        }
    }
}

/// One link of ours connected to one aiortc peer.
private struct InteropSession {
    /// The script's `open` line.
    struct Opened {
        var localMaxMessageSize: Int?
        var remoteMaxMessageSize: Int?
        var fragmentBytes: Int?
    }

    let engine: WebRTCEngine
    let link: PeerLink
    let inbox: EventInbox
    let peer: AiortcPeer
    let pump: Task<Void, Never>
    /// The offer or answer aiortc sent.
    let aiortcSDP: String
    /// The answer or offer our link sent.
    let ourSDP: String
    let opened: Opened

    static let connectTimeout: Duration = .seconds(30)
    static let messageTimeout: Duration = .seconds(30)

    /// Starts the script and connects a loopback-only link to it; `sendingBeforeOpen` messages are sent
    /// (pattern bytes, seeded by position) as soon as the link has its descriptions, before it opens.
    static func connect(
        aiortcRole: AiortcPeer.Role, arguments: [String] = [], sendingBeforeOpen early: [Int] = []
    ) async throws -> InteropSession {
        if case .failure(let reason) = AiortcPeer.aiortcVersion { throw reason }
        let engine = try LinkPair.makeEngine()
        let link = try engine.makeLink()
        let peer = try AiortcPeer(role: aiortcRole, arguments: arguments)
        let relay = CandidateRelay(to: peer)
        let inbox = EventInbox()
        let pump = Task {
            for await event in link.events {
                if case .localCandidate(let candidate) = event {
                    // A peer that died fails the next wait on it, with its output.
                    try? relay.relay(candidate)
                } else {
                    inbox.push(event)
                }
            }
            inbox.finish()
        }
        let (sdp, ours): (String, String)
        switch aiortcRole {
        case .answer:
            ours = try await link.makeOffer()
            try peer.signal(["type": "offer", "sdp": ours])
            sdp = try #require(try await peer.next("answer", within: connectTimeout)["sdp"] as? String)
            try await link.setAnswer(sdp)
        case .offer:
            sdp = try #require(try await peer.next("offer", within: connectTimeout)["sdp"] as? String)
            ours = try await link.accept(offer: sdp)
            try peer.signal(["type": "answer", "sdp": ours])
        }
        try relay.release()
        for (index, size) in early.enumerated() { try await link.send(pattern(size: size, seed: index)) }
        _ = try await inbox.expect("our channel to open", within: connectTimeout) { $0 == .opened }
        let open = try await peer.next("open", within: connectTimeout)
        return InteropSession(
            engine: engine, link: link, inbox: inbox, peer: peer, pump: pump, aiortcSDP: sdp, ourSDP: ours,
            opened: Opened(
                localMaxMessageSize: open["localMaxMessageSize"] as? Int,
                remoteMaxMessageSize: open["remoteMaxMessageSize"] as? Int,
                fragmentBytes: open["fragmentBytes"] as? Int))
    }

    /// Bytes that differ from message to message and along a message, so that a swap or a gap shows.
    static func pattern(size: Int, seed: Int) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &+ $0 >> 8) }
    }

    /// Sends each size in turn and checks its echo byte for byte.
    func echoEach(_ sizes: [Int], limit: Int) async throws {
        for (index, size) in sizes.enumerated() {
            try await link.send(Self.pattern(size: size, seed: index))
            try await expectEchoes(of: [size], limit: limit, firstSeed: index)
        }
    }

    /// Waits for aiortc's report and our echo of each message sent already: aiortc got the message whole,
    /// in fragments that each fit `limit` with their flag byte (exactly as many as that requires), and
    /// sent back the same bytes. A message queued before the channel opened was cut in 65,535-byte
    /// fragments and each of those cut again for the peer's limit: `queuedBeforeOpen` allows that count too.
    func expectEchoes(of sizes: [Int], limit: Int, firstSeed: Int = 0, queuedBeforeOpen: Bool = false) async throws {
        let payload = min(65_535, limit - 1)
        func pieces(_ bytes: Int, of length: Int) -> [Int] {
            bytes == 0 ? [0] : stride(from: 0, to: bytes, by: length).map { min(length, bytes - $0) }
        }
        for (offset, size) in sizes.enumerated() {
            let report = try await peer.next("received", within: Self.messageTimeout)
            #expect(report["size"] as? Int == size)
            let cutOnce = pieces(size, of: payload).count
            let cutTwice = pieces(size, of: 65_535).map { pieces($0, of: payload).count }.reduce(0, +)
            let fragments = report["fragments"] as? Int
            #expect(fragments == cutOnce || (queuedBeforeOpen && fragments == cutTwice), "\(size) bytes")
            let largest = try #require(report["largestSCTPMessage"] as? Int)
            #expect(largest <= limit, "an SCTP message of \(largest) bytes to a peer that accepts \(limit)")
            #expect(largest == min(size, payload) + 1)
            let echo = try await inbox.message(within: Self.messageTimeout)
            #expect(echo.count == size)
            #expect(echo == Self.pattern(size: size, seed: firstSeed + offset), "the echo of \(size) bytes")
        }
    }

    /// Closes both sides; the script must end cleanly and our link must report `.closed`.
    func close() async throws {
        link.close()
        _ = try await inbox.expect("our link to close", within: .seconds(10)) { $0 == .closed }
        await pump.value
        #expect(try await peer.close() == 0)
    }
}
