import ColonioCore
import Testing

/// Issue #18, finding 3: a node answered any number of offers, each a peer connection in the shell,
/// under any claimed source ID. Now pending incoming offers are capped per node and per claimed peer.
struct NodeControllerOfferCapTests {
    let answerer = NodeID(high: 9, low: 0)

    func offer(_ session: UInt64) -> SignalPayload {
        SignalPayload(sessionID: session, kind: .offer(sdp: "v=0\r\na=fingerprint:sha-256 0F:\(session < 16 ? "0" : "")\(String(session, radix: 16))\r\n"))
    }

    func receive(_ network: ControllerNetwork, _ index: Int, offer session: UInt64, from peer: NodeID) -> [NodeAction] {
        network.nodes[index].controller.seedFrame(
            .relayedSignal(from: peer, payload: offer(session)), now: network.now, unixSeconds: network.unixSeconds)
    }

    @Test func offersBeyondTheCapPerNodeAreRefusedUntilOneIsDone() throws {
        let network = ControllerNetwork()
        let b = network.addNode(id: answerer, settings: NodeControllerSettings(maximumPendingOffers: 2))
        let peers = (1...3).map { NodeID(high: UInt64($0), low: 0) }
        #expect(receive(network, b, offer: 1, from: peers[0]) == [.openLink(peer: peers[0], session: 1, remoteOffer: offer(1).sdp)])
        #expect(receive(network, b, offer: 2, from: peers[1]) == [.openLink(peer: peers[1], session: 2, remoteOffer: offer(2).sdp)])
        #expect(receive(network, b, offer: 3, from: peers[2]) == [
            .log(.warning, "refused an offer from \(peers[2]): 2 offers are being answered already")
        ])
        #expect(network.link(b, to: peers[2]) == nil)
        // One fails (its peer connection closed): there is room again.
        _ = network.nodes[b].controller.linkClosed(peer: peers[0], session: 1, now: network.now)
        #expect(receive(network, b, offer: 4, from: peers[2]) == [.openLink(peer: peers[2], session: 4, remoteOffer: offer(4).sdp)])
    }

    @Test func offersClaimingOnePeerAreCappedInARow() throws {
        let network = ControllerNetwork()
        let b = network.addNode(id: answerer)
        let claimed = NodeID(high: 1, low: 0)
        for session: UInt64 in 1...3 {
            let actions = receive(network, b, offer: session, from: claimed)
            #expect(actions.last == .openLink(peer: claimed, session: session, remoteOffer: offer(session).sdp))
        }
        #expect(receive(network, b, offer: 4, from: claimed) == [
            .log(.warning, "refused an offer from \(claimed): 3 offers from it were answered in a row without authenticating")
        ])
        #expect(network.link(b, to: claimed)?.session == 3)
        #expect(network.link(b, to: claimed)?.offersInARow == 3)
        // Once the last one is given up, the peer may offer again.
        network.advance(milliseconds: UInt64(network.configuration.routing.connectTimeoutMilliseconds) + 100)
        #expect(network.link(b, to: claimed) == nil)
        #expect(receive(network, b, offer: 5, from: claimed).last == .openLink(peer: claimed, session: 5, remoteOffer: offer(5).sdp))
        #expect(network.link(b, to: claimed)?.offersInARow == 1)
    }

    /// The caps leave ordinary linking alone: a newcomer links to every node it learns of.
    @Test func aSmallNetworkStillLinks() {
        let network = ControllerNetwork()
        let settings = NodeControllerSettings(maximumPendingOffers: 1, maximumOffersPerPeer: 1)
        let ids = (1...4).map { NodeID(high: UInt64($0), low: 0) }
        let indices = ids.map { network.addNode(id: $0, settings: settings) }
        for index in indices { #expect(!network.linkedPeers(index).isEmpty) }
    }
}

extension SignalPayload {
    var sdp: String? {
        switch kind {
        case .offer(let sdp), .answer(let sdp): sdp
        case .candidate: nil
        }
    }
}
