import ColonioCore
import Testing

/// Issue #18, finding 3: the hello checked the peer's certificate once, and the link was trusted for as
/// long as it lasted. Nothing renews a certificate over a link, so an authenticated link is closed when
/// the peer's certificate expires; the ring links the peer again with a fresh hello (and the peer's
/// renewed certificate).
struct NodeControllerCertificateExpiryTests {
    let low = NodeID(high: 1, low: 0)
    let high = NodeID(high: 2, low: 0)

    @Test func aLinkIsClosedWhenThePeersCertificateExpiresAndLinkedAgainWithAFreshHello() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        let b = network.addNode(id: high)
        let before = try #require(network.link(a, to: high))
        let expiry = try #require(before.peerCertificateExpiry)
        #expect(expiry == network.unixSeconds + 3_600)

        // Just before the expiry (both nodes have renewed their own certificates by now): still up.
        network.unixSeconds = expiry - 2
        network.advance(milliseconds: 900)
        #expect(network.link(a, to: high)?.session == before.session)
        #expect(network.link(a, to: high)?.isAuthenticated == true)

        // The second the certificate expires, on the next tick.
        network.advance(milliseconds: 1_100)
        #expect(network.unixSeconds == expiry)
        let closed = NodeAction.log(.info, "closed the link to \(high): its certificate expired at \(expiry) (Unix seconds)")
        #expect(network.nodes[a].log.contains(closed) || network.nodes[b].log.contains(
            .log(.info, "closed the link to \(low): its certificate expired at \(expiry) (Unix seconds)")))
        #expect(network.nodes[a].log.contains(.closeLink(peer: high, session: before.session)))

        // Linked again, authenticated by the renewed certificates.
        network.advance(milliseconds: 3_000)
        let after = try #require(network.link(a, to: high))
        #expect(after.isAuthenticated)
        #expect(after.session != before.session)
        #expect(try #require(after.peerCertificateExpiry) > network.unixSeconds)
        #expect(network.link(b, to: low)?.isAuthenticated == true)
    }
}
