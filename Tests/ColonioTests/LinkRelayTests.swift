@testable import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Testing

/// Issue #18, finding 3, with a whole node: a relay that adds its own fingerprint to an offer does not
/// get it answered (the answer would have bound a link the relay sits in the middle of).
@Suite(.serialized, .timeLimit(.minutes(1))) struct LinkRelayTests {
    @Test func anOfferWithAFingerprintAddedByARelayIsNotAnswered() async throws {
        let seed = try await EmbeddedSeed.start(configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        let node = ColonioNode(options: NodeRecoveryTests.options(links), logger: NodeEndToEndTests.logger)
        try await node.connect(seed: seed.url, network: "alpha", token: "alpha-token")
        // A real in-memory offer, as a peer would make it.
        let offerer = try #require(try links.makeLink(logger: NodeEndToEndTests.logger) as? InMemoryLink)
        let offer = try await offerer.makeOffer()
        let claimed = NodeID(high: 0x5eed, low: 1)

        let tampered = offer + "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 EE:EE:EE:EE\r\n"
        await node.injectSignal(SignalPayload(sessionID: 0x7e1a, kind: .offer(sdp: tampered)), from: claimed)
        #expect(await node.controller.session?.links[claimed] == nil)
        #expect(links.pendingOffers == 1)

        // The same offer as the peer made it is answered: the in-memory offer is taken.
        await node.injectSignal(SignalPayload(sessionID: 0x7e1b, kind: .offer(sdp: offer)), from: claimed)
        #expect(await node.controller.session?.links[claimed]?.session == 0x7e1b)
        #expect(await eventually { links.pendingOffers == 0 })

        offerer.close()
        await node.disconnect()
        await seed.stop()
    }
}
