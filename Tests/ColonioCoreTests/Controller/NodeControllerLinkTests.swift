import ColonioCore
import Testing

/// The link lifecycle of ``NodeController``, run synchronously on a manual clock: every rule that the
/// native and the browser shells once each had a copy of.
struct NodeControllerLinkTests {
    let low = NodeID(high: 1, low: 0)
    let high = NodeID(high: 2, low: 0)

    @Test func twoNodesLinkThroughTheSeedAndAnswerRequests() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        let b = network.addNode(id: high)
        #expect(network.linkedPeers(a) == [high])
        #expect(network.linkedPeers(b) == [low])
        network.nodes[b].controller.setHandler("echo", registered: true)
        let started = try network.nodes[a].controller.request(name: "echo", payload: [1, 2, 3], to: .node(high), now: network.now)
        network.carryOut(started.actions, at: a)
        network.run()
        #expect(network.nodes[a].delivered == [.requestCompleted(requestID: started.requestID, outcome: .response([1, 2, 3]))])
        let link = try #require(network.link(a, to: high))
        #expect(link.phase == .authenticated)
        #expect(link.setupMilliseconds == 0)
    }

    /// Both sides offer at once; whichever offer each side sees first, the lower ID's offer wins on both.
    @Test(arguments: [false, true]) func glareEndsWithOneLinkFromEitherSide(lowerSeesOfferFirst: Bool) throws {
        let network = ControllerNetwork()
        // Two nodes that do not know each other yet: signed in while the other's seed is away.
        let (a, b) = network.addStrangers(low, high)
        #expect(network.linkedPeers(a).isEmpty)
        // Both ask for a link now (as after finding each other by a peer search).
        let fromLow = network.peersFound([high], at: a)
        let fromHigh = network.peersFound([low], at: b)
        if lowerSeesOfferFirst {
            network.carryOut(fromHigh, at: b)
            network.carryOut(fromLow, at: a)
        } else {
            network.carryOut(fromLow, at: a)
            network.carryOut(fromHigh, at: b)
        }
        network.run()
        let linkAtLow = try #require(network.link(a, to: high))
        let linkAtHigh = try #require(network.link(b, to: low))
        #expect(linkAtLow.isAuthenticated && linkAtHigh.isAuthenticated)
        #expect(linkAtLow.session == linkAtHigh.session)
        #expect(linkAtLow.isOfferer && !linkAtHigh.isOfferer)
        #expect(network.open.count == 2)
    }

    /// The lower ID's offer is lost; the peer's own offer makes it go again, and the link forms.
    @Test func aLostOfferIsRepeatedWhenThePeerOffers() throws {
        let network = ControllerNetwork()
        let (a, b) = network.addStrangers(low, high)
        network.dropSeedSignalsFrom = [a]
        network.carryOut(network.peersFound([high], at: a), at: a)
        network.run()
        #expect(network.link(a, to: high)?.phase == .awaitingAnswer)
        #expect(network.link(b, to: low) == nil)
        network.dropSeedSignalsFrom = []
        network.carryOut(network.peersFound([low], at: b), at: b)
        network.run()
        let offerer = try #require(network.link(a, to: high))
        #expect(offerer.isAuthenticated && offerer.isOfferer)
        #expect(network.link(b, to: low)?.session == offerer.session)
    }

    /// A late offer of the side that lost the glare leaves the authenticated link alone.
    @Test func aLateOfferAfterAuthenticationLeavesTheLinkAlone() throws {
        let network = ControllerNetwork()
        // The later node offers: here the lower ID, whose offer wins a glare.
        let b = network.addNode(id: high)
        let a = network.addNode(id: low)
        let before = try #require(network.link(a, to: high))
        #expect(before.isAuthenticated && before.isOfferer)
        let lateOffer = SignalPayload(sessionID: 12345, kind: .offer(sdp: "v=0\r\na=fingerprint:sha-256 1A:7E\r\n"))
        let actions = network.nodes[a].controller.seedFrame(
            .relayedSignal(from: high, payload: lateOffer), now: network.now, unixSeconds: network.unixSeconds)
        #expect(actions.isEmpty)
        #expect(network.link(a, to: high)?.session == before.session)
        #expect(network.link(a, to: high)?.isAuthenticated == true)
        #expect(network.linkedPeers(b) == [low])
    }

    /// The higher ID, authenticated, takes a new offer of the lower ID as a new link (the lower side
    /// lost its own), reporting the old one closed.
    @Test func aNewOfferOfTheLowerIDReplacesTheLink() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        let b = network.addNode(id: high)
        let offer = SignalPayload(sessionID: 999, kind: .offer(sdp: "v=0\r\na=fingerprint:sha-256 0E:E0\r\n"))
        let actions = network.nodes[b].controller.seedFrame(
            .relayedSignal(from: low, payload: offer), now: network.now, unixSeconds: network.unixSeconds)
        let old = try #require(network.nodes[a].controller.session?.links[high]?.session)
        #expect(actions.contains(.closeLink(peer: low, session: old)))
        #expect(actions.contains(.openLink(peer: low, session: 999, remoteOffer: "v=0\r\na=fingerprint:sha-256 0E:E0\r\n")))
        #expect(network.link(b, to: low)?.phase == .answering)
    }

    /// Issue #18, finding 1: weak keys (32 zero bytes, 32 0xFF bytes, the identity point) and
    /// non-canonical signatures are refused before the shell is asked to verify anything.
    @Test(arguments: [
        "network", "node", "expired", "signature", "certificate signature", "malformed",
        "zero key", "0xFF key", "identity key", "non-canonical S",
    ])
    func aBadHelloClosesTheLink(fault: String) throws {
        let network = ControllerNetwork()
        let b = network.addNode(id: high)
        // An offer from `low` through the seed, answered; then the channel opens and b's hello goes out.
        let keyOfLow = Array(SHA256.hash([42]))
        let session: UInt64 = 4242
        let offerSDP = "v=0\r\na=fingerprint:sha-256 0F:FE\r\n"
        var actions = network.nodes[b].controller.seedFrame(
            .relayedSignal(from: low, payload: SignalPayload(sessionID: session, kind: .offer(sdp: offerSDP))),
            now: network.now, unixSeconds: network.unixSeconds)
        actions += network.nodes[b].controller.localDescription(
            "v=0\r\na=fingerprint:sha-256 A5:3E\r\n", peer: low, session: session, now: network.now)
        actions += network.nodes[b].controller.linkOpened(peer: low, session: session, now: network.now)
        #expect(network.link(b, to: low)?.phase == .awaitingHello)
        let key: [UInt8] =
            switch fault {
            case "zero key": [UInt8](repeating: 0, count: 32)
            case "0xFF key": [UInt8](repeating: 0xFF, count: 32)
            case "identity key": [0x01] + [UInt8](repeating: 0, count: 31)
            default: keyOfLow
            }
        var certificate = network.certificate(
            for: fault == "node" ? NodeID(high: 3, low: 0) : low, key: key,
            expiry: fault == "expired" ? network.unixSeconds - 1 : nil,
            network: fault == "network" ? "other" : ControllerNetwork.network)
        if fault == "certificate signature" { certificate.signature[0] ^= 1 }
        let signed = LinkHello.signedBytes(
            network: ControllerNetwork.network, senderFingerprint: "sha-256 0F:FE", receiverFingerprint: "sha-256 A5:3E")
        var signature = ControllerNetwork.sign(signed, key: key)
        if fault == "signature" { signature[5] ^= 1 }
        if fault == "non-canonical S" { signature[63] |= 0x10 }
        var frame = [LinkFrameType.hello.rawValue] + LinkHello(certificate: certificate, signature: signature).encoded()
        if fault == "malformed" { frame = [LinkFrameType.hello.rawValue, 0xFF, 0xFF] }
        actions = network.nodes[b].controller.linkFrame(frame, peer: low, session: session, now: network.now, unixSeconds: network.unixSeconds)
        if case .verifyHello(_, _, let check) = actions.last {
            // The controller's own checks passed: the signatures decide.
            #expect(fault == "signature" || fault == "certificate signature")
            let valid = check.certificateSignature == ControllerNetwork.sign(check.certificateBytes, key: check.seedPublicKey)
                && check.signature == ControllerNetwork.sign(check.signedBytes, key: check.signerPublicKey)
            #expect(!valid)
            actions = network.nodes[b].controller.helloVerified(peer: low, session: session, valid: valid, now: network.now)
        }
        #expect(actions.contains(.closeLink(peer: low, session: session)))
        #expect(network.link(b, to: low) == nil)
        #expect(!(network.nodes[b].controller.session?.machine.ring?.isLinked(low) ?? true))
    }

    /// A link the peer never answers is given up at the connect timeout.
    @Test func anUnansweredLinkIsClosedAtTheConnectTimeout() throws {
        var routing = RoutingSettings()
        routing.connectTimeoutMilliseconds = 2_000
        let network = ControllerNetwork(routing: routing)
        let (a, _) = network.addStrangers(low, high)
        network.dropSeedSignalsFrom = [a]
        network.carryOut(network.peersFound([high], at: a), at: a)
        network.run()
        let session = try #require(network.link(a, to: high)?.session)
        network.advance(milliseconds: 1_500)
        #expect(network.link(a, to: high)?.phase == .awaitingAnswer)
        network.advance(milliseconds: 1_000)
        #expect(network.nodes[a].log.contains(.closeLink(peer: high, session: session)))
        #expect(network.link(a, to: high)?.session != session)
    }
}

/// Links the ring did not ask for time out too.
struct NodeControllerStalledLinkTests {
    /// A peer's offer is answered, but the connection never opens (the offerer went away): the answering
    /// side gives the link up at the connect timeout, so that it can count as alone and search for peers.
    @Test func anAnsweredLinkThatNeverOpensIsGivenUp() throws {
        var routing = RoutingSettings()
        routing.connectTimeoutMilliseconds = 2_000
        let network = ControllerNetwork(routing: routing)
        let b = network.addNode(id: NodeID(high: 2, low: 0))
        let low = NodeID(high: 1, low: 0)
        // The answer goes nowhere (the seed would otherwise refuse it at once: `low` is not signed in).
        network.dropSeedSignalsFrom = [b]
        let offer = SignalPayload(sessionID: 77, kind: .offer(sdp: "v=0\r\na=fingerprint:sha-256 60:0E\r\n"))
        network.carryOut(
            network.nodes[b].controller.seedFrame(.relayedSignal(from: low, payload: offer), now: network.now, unixSeconds: network.unixSeconds),
            at: b)
        network.run()
        #expect(network.link(b, to: low)?.phase == .connecting)
        network.advance(milliseconds: 1_900)
        #expect(network.link(b, to: low) != nil)
        network.advance(milliseconds: 200)
        #expect(network.link(b, to: low) == nil)
        #expect(network.nodes[b].log.contains(.closeLink(peer: low, session: 77)))
    }
}
