import ColonioCore
import Testing

/// Issue #18, finding 3: a node on the route of an overlay signal can write any source ID into the packet.
/// Signals over the overlay are signed by their sender's certificate key and checked before the receiver
/// acts on them, so a relay can neither forge nor redirect one; a replayed genuine offer still cannot
/// replace an authenticated link.
struct NodeControllerOverlaySignalTests {
    let low = NodeID(high: 1, low: 0)
    let middle = NodeID(high: 2, low: 0)
    let high = NodeID(high: 3, low: 0)

    /// Three linked nodes; the middle one is the dishonest relay.
    private func threeNodes() throws -> (ControllerNetwork, relayIndex: Int, receiver: Int, linkFromRelay: LinkNegotiation) {
        let network = ControllerNetwork()
        network.addNode(id: low)
        let relay = network.addNode(id: middle)
        let receiver = network.addNode(id: high)
        let linkFromRelay = try #require(network.link(receiver, to: middle))
        #expect(linkFromRelay.isAuthenticated)
        return (network, relay, receiver, linkFromRelay)
    }

    /// Hands the receiver `signed` in a packet that claims `source`, over its link from the relay.
    private func relay(
        _ signed: SignedSignal, claiming source: NodeID, in network: ControllerNetwork, to receiver: Int,
        over link: LinkNegotiation
    ) -> [NodeAction] {
        let packet = OverlayPacket(
            destination: high, mode: .toNode, source: source, packetID: 77, body: OverlayBody.signal(signed).encoded())
        return network.nodes[receiver].controller.linkFrame(
            [LinkFrameType.overlay.rawValue] + packet.encoded(), peer: middle, session: link.session,
            now: network.now, unixSeconds: network.unixSeconds)
    }

    /// `signal` as `low` would send it to `receiver`, with `certificate`, signed with `key`.
    private func signed(
        _ signal: SignalPayload, certificate: NodeCertificate, signer key: [UInt8], for receiver: NodeID? = nil
    ) -> SignedSignal {
        let bytes = SignedSignal.signedBytes(
            network: ControllerNetwork.network, sender: low, receiver: receiver ?? high, signal: signal)
        return SignedSignal(certificate: certificate, signal: signal, signature: ControllerNetwork.sign(bytes, key: key))
    }

    private func offer(_ session: UInt64) -> SignalPayload {
        SignalPayload(sessionID: session, kind: .offer(sdp: "v=0\r\na=fingerprint:sha-256 EE:EE\r\n"))
    }

    private func verifications(_ actions: [NodeAction]) -> [(UInt64, CertifiedSignature)] {
        actions.compactMap { if case .verifySignal(let id, let check) = $0 { (id, check) } else { nil } }
    }

    @Test func aSignalWhoseCertificateNamesAnotherNodeIsRefusedUnchecked() throws {
        let (network, relayIndex, receiver, linkFromRelay) = try threeNodes()
        // The relay signs honestly with its own key and certificate, but claims to be `low`.
        let signal = offer(0xF0F0)
        let relayKey = network.nodes[relayIndex].key
        let message = signed(signal, certificate: network.certificate(for: middle, key: relayKey), signer: relayKey)
        let actions = relay(message, claiming: low, in: network, to: receiver, over: linkFromRelay)
        #expect(actions == [.log(
            .warning, "refused a signal from \(low) over the overlay: the certificate is for \(middle), expected \(low)")])
    }

    @Test func aSignalSignedWithAnotherKeyThanItsCertificatesIsRefused() throws {
        let (network, relayIndex, receiver, linkFromRelay) = try threeNodes()
        let lowIndex = network.index(of: low)
        // Certificates are public (every hello shows one): the relay presents `low`'s, signs with its own key.
        let signal = offer(0xF0F1)
        let lowCertificate = network.certificate(for: low, key: network.nodes[lowIndex].key)
        let message = signed(signal, certificate: lowCertificate, signer: network.nodes[relayIndex].key)
        let actions = relay(message, claiming: low, in: network, to: receiver, over: linkFromRelay)
        let (id, check) = try #require(verifications(actions).first)
        #expect(!ControllerNetwork.verify(check))
        let outcome = network.nodes[receiver].controller.signalVerified(id: id, valid: false, now: network.now)
        #expect(outcome == [.log(
            .warning,
            "refused a signal from \(low) over the overlay: the certificate's signature or the signature by its key does not verify")])
    }

    /// A genuine signal from `low` to another node, redirected to `high`: the signature binds the receiver.
    @Test func aGenuineSignalRedirectedToAnotherReceiverFailsItsCheck() throws {
        let (network, _, receiver, linkFromRelay) = try threeNodes()
        let lowIndex = network.index(of: low)
        let lowKey = network.nodes[lowIndex].key
        let signal = offer(0xF0F2)
        let message = signed(signal, certificate: network.certificate(for: low, key: lowKey), signer: lowKey, for: middle)
        let actions = relay(message, claiming: low, in: network, to: receiver, over: linkFromRelay)
        let (_, check) = try #require(verifications(actions).first)
        #expect(!ControllerNetwork.verify(check))
    }

    /// A genuine offer of `low`, replayed by the relay: it verifies, but it came over the overlay and
    /// would replace an authenticated link, so it is refused.
    @Test func aReplayedGenuineOfferDoesNotReplaceAnAuthenticatedLink() throws {
        let (network, _, receiver, linkFromRelay) = try threeNodes()
        let lowIndex = network.index(of: low)
        let lowKey = network.nodes[lowIndex].key
        let linkToLow = try #require(network.link(receiver, to: low))
        #expect(linkToLow.isAuthenticated)
        let signal = offer(0xF0F3)
        let message = signed(signal, certificate: network.certificate(for: low, key: lowKey), signer: lowKey)
        let actions = relay(message, claiming: low, in: network, to: receiver, over: linkFromRelay)
        let (id, check) = try #require(verifications(actions).first)
        #expect(ControllerNetwork.verify(check))
        let outcome = network.nodes[receiver].controller.signalVerified(id: id, valid: true, now: network.now)
        #expect(outcome == [.log(
            .warning,
            "refused an offer from \(low): it came through the overlay, where a relay could replay an old offer, and would replace an authenticated link")])
        #expect(network.link(receiver, to: low)?.session == linkToLow.session)
        #expect(network.link(receiver, to: low)?.isAuthenticated == true)
    }

    @Test func aSignalWithAnExpiredCertificateIsRefusedUnchecked() throws {
        let (network, _, receiver, linkFromRelay) = try threeNodes()
        let lowKey = network.nodes[network.index(of: low)].key
        let signal = offer(0xF0F4)
        let expiry = network.unixSeconds - 1
        let message = signed(signal, certificate: network.certificate(for: low, key: lowKey, expiry: expiry), signer: lowKey)
        let actions = relay(message, claiming: low, in: network, to: receiver, over: linkFromRelay)
        #expect(actions == [.log(
            .warning, "refused a signal from \(low) over the overlay: the certificate expired at \(expiry) (Unix seconds)")])
    }

    /// Links that the overlay signals (every link but the first few, which go through the seed) are made
    /// with signed signals that the receivers verified.
    @Test func linksSignaledOverTheOverlayCarrySignaturesTheReceiversCheck() throws {
        let network = ControllerNetwork()
        for high in 1...6 { network.addNode(id: NodeID(high: UInt64(high) << 56, low: 0)) }
        network.advance(milliseconds: 5_000)
        let signed = network.nodes.flatMap(\.log).filter { if case .signSignal = $0 { true } else { false } }
        let checked = network.nodes.flatMap(\.log).filter { if case .verifySignal = $0 { true } else { false } }
        #expect(!signed.isEmpty)
        #expect(checked.count == signed.count)
        for index in network.nodes.indices {
            let session = try #require(network.nodes[index].controller.session)
            #expect(session.links.values.allSatisfy { $0.isAuthenticated })
        }
    }
}
