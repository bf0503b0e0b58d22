import ColonioCore
import Testing

/// Issue #18, finding 3: whoever relays signaling (the seed, or a node of the overlay) sees and can
/// change every SDP. The hello binds the link to the one fingerprint the engine uses, so a relay that
/// rewrites fingerprints gets no authenticated link in the middle, only a refused or failed one.
struct NodeControllerRelayTests {
    let low = NodeID(high: 1, low: 0)
    let high = NodeID(high: 2, low: 0)
    /// The relay's own certificate, as it would put it in front of the real one.
    static let relayFingerprint = "sha-256 EE:EE:EE:EE"

    /// A relay that appends a media-level fingerprint to the offers or answers it relays (libwebrtc
    /// would use that one, while the old hello signed the first).
    static func addingFingerprint(offers: Bool, answers: Bool) -> (Int, SignalPayload) -> SignalPayload {
        { _, payload in
            var payload = payload
            switch payload.kind {
            case .offer(let sdp) where offers:
                payload.kind = .offer(sdp: sdp + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:\(relayFingerprint)\r\n")
            case .answer(let sdp) where answers:
                payload.kind = .answer(sdp: sdp + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:\(relayFingerprint)\r\n")
            default:
                break
            }
            return payload
        }
    }

    @Test func aRelayThatAddsAFingerprintToTheOfferGetsTheOfferRefused() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        network.rewriteSeedSignals = Self.addingFingerprint(offers: true, answers: false)
        // The newcomer offers to its bootstrap peer.
        let b = network.addNode(id: high)
        #expect(network.linkedPeers(a).isEmpty)
        #expect(network.linkedPeers(b).isEmpty)
        #expect(network.link(a, to: high) == nil)
        #expect(network.nodes[a].log.contains(
            .log(.warning, "refused an offer from \(high): the peer's description has 2 a=fingerprint lines (exactly one is allowed)")))
        #expect(!network.nodes[a].log.contains { if case .openLink = $0 { true } else { false } })
    }

    @Test func aRelayThatAddsAFingerprintToTheAnswerGetsTheLinkClosed() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        network.rewriteSeedSignals = Self.addingFingerprint(offers: false, answers: true)
        let b = network.addNode(id: high)
        let session = try #require(network.nodes[b].log.lazy.compactMap { action -> UInt64? in
            if case .openLink(_, let session, nil) = action { session } else { nil }
        }.first)
        #expect(network.linkedPeers(a).isEmpty)
        #expect(network.linkedPeers(b).isEmpty)
        #expect(network.link(b, to: low) == nil)
        #expect(network.nodes[b].log.contains(.closeLink(peer: low, session: session)))
        #expect(network.nodes[b].log.contains(
            .log(.warning, "rejected the link to \(low): the peer's description has 2 a=fingerprint lines (exactly one is allowed)")))
        #expect(!network.nodes[b].log.contains { if case .applyAnswer = $0 { true } else { false } })
    }

    /// Replacing the one fingerprint was already caught: the peer signed its own, so the hello fails.
    @Test func aRelayThatReplacesTheFingerprintGetsNoAuthenticatedLink() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        network.rewriteSeedSignals = { _, payload in
            var payload = payload
            if case .offer = payload.kind {
                payload.kind = .offer(sdp: "v=0\r\na=fingerprint:\(Self.relayFingerprint)\r\n")
            }
            return payload
        }
        let b = network.addNode(id: high)
        #expect(network.linkedPeers(a).isEmpty)
        #expect(network.linkedPeers(b).isEmpty)
        let badSignature = "rejected the link to \(high): the certificate's signature or the signature by its key does not verify"
        #expect(network.nodes[a].log.contains(.log(.warning, badSignature)))
    }

    /// The honest relay, for contrast: the same nodes link.
    @Test func anHonestRelayLinksThem() {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        network.rewriteSeedSignals = Self.addingFingerprint(offers: false, answers: false)
        let b = network.addNode(id: high)
        #expect(network.linkedPeers(a) == [high])
        #expect(network.linkedPeers(b) == [low])
    }

    /// An offer without a single well-formed fingerprint is refused before it can displace anything.
    @Test(arguments: [
        ("v=0\r\n", "no a=fingerprint line"),
        ("v=0\r\na=fingerprint:sha-256 ZZ\r\n", "a malformed a=fingerprint line"),
        ("v=0\r\na=x\ra=fingerprint:sha-256 AB\r\n", "a CR inside a line"),
    ])
    func anOfferWithoutOneWellFormedFingerprintIsRefused(sdp: String, why: String) throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        let b = network.addNode(id: high)
        let before = try #require(network.link(a, to: high))
        let offer = SignalPayload(sessionID: 31337, kind: .offer(sdp: sdp))
        let actions = network.nodes[b].controller.seedFrame(
            .relayedSignal(from: low, payload: offer), now: network.now, unixSeconds: network.unixSeconds)
        #expect(actions == [.log(.warning, "refused an offer from \(low): the peer's description has \(why)")])
        #expect(network.link(a, to: high)?.session == before.session)
        #expect(network.link(b, to: low)?.isAuthenticated == true)
    }

    /// The engine's own description is checked too: with two fingerprints this side's hello could not
    /// say which one it stands for.
    @Test func aLocalDescriptionWithTwoFingerprintsClosesTheLink() throws {
        let network = ControllerNetwork()
        let b = network.addNode(id: high)
        let session: UInt64 = 4242
        let offer = SignalPayload(sessionID: session, kind: .offer(sdp: "v=0\r\na=fingerprint:sha-256 0F:FE\r\n"))
        _ = network.nodes[b].controller.seedFrame(
            .relayedSignal(from: low, payload: offer), now: network.now, unixSeconds: network.unixSeconds)
        let actions = network.nodes[b].controller.localDescription(
            "v=0\r\na=fingerprint:sha-256 A5:3E\r\na=fingerprint:sha-256 A5:3F\r\n", peer: low, session: session, now: network.now)
        #expect(actions.first == .log(
            .warning, "rejected the link to \(low): this side's description has 2 a=fingerprint lines (exactly one is allowed)"))
        #expect(actions.contains(.closeLink(peer: low, session: session)))
        #expect(!actions.contains { if case .sendToSeed = $0 { true } else { false } })
        #expect(network.link(b, to: low) == nil)
    }
}
