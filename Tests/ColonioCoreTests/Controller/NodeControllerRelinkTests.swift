import ColonioCore
import Testing

/// When a link closes, both sides link again at once (a ring neighbour), often while the overlay's path
/// between them is breaking too: when a certificate expires, every node linked to its holder closes its
/// link within the same second. An offer or answer lost in the overlay then costs the connect timeout
/// (and the ring counts a failure). The browser node test lost such re-links about half the time.
struct NodeControllerRelinkTests {
    let low = NodeID(high: 1, low: 0)
    let middle = NodeID(high: 2, low: 0)
    let high = NodeID(high: 3, low: 0)

    @Test func aPeerWhoseLinkJustClosedIsLinkedAgainThroughTheSeed() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        let b = network.addNode(id: middle)
        let c = network.addNode(id: high)
        #expect(network.linkedPeers(a) == [middle, high])
        #expect(network.linkedPeers(b) == [low, high])
        let old = try #require(network.link(a, to: high)?.session)

        // The link between a and c closes on both sides; b still links both, so the overlay reaches c.
        network.nodes[a].log = []
        network.nodes[c].log = []
        network.enqueue(a, .closed(high, old))
        network.enqueue(c, .closed(low, old))
        network.run()

        // Linked again, and every signal of the new link went through the seed, not through b.
        let relinked = try #require(network.link(a, to: high))
        #expect(relinked.isAuthenticated)
        #expect(relinked.session != old)
        #expect(relinked.signalsViaSeed)
        #expect(network.link(c, to: low)?.signalsViaSeed == true)
        let throughSeed = network.nodes[a].log.contains { action in
            if case .sendToSeed(.signal(to: high, let payload)) = action, payload.sessionID == relinked.session { true } else { false }
        } || network.nodes[c].log.contains { action in
            if case .sendToSeed(.signal(to: low, let payload)) = action, payload.sessionID == relinked.session { true } else { false }
        }
        #expect(throughSeed)
        #expect(network.nodes[b].controller.session?.machine.ring?.isLinked(high) == true)
    }
}
