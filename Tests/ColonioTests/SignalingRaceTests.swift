@testable import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Testing

/// Offers that cross or arrive late must not cost a working link.
@Suite(.serialized, .timeLimit(.minutes(1))) struct SignalingRaceTests {
    /// An offer no in-memory link made, so it can never be accepted.
    static func unacceptableOffer(sessionID: UInt64) -> SignalPayload {
        SignalPayload(sessionID: sessionID, kind: .offer(sdp: "v=0\r\na=fingerprint:memory 00\r\n"))
    }

    /// A seed with two linked nodes of which the newcomer (the offerer of their link) has the lower ID.
    static func linkedPairWithLowerOfferer() async throws -> (seed: EmbeddedSeed, offerer: ColonioNode, answerer: ColonioNode) {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        // IDs are random: the newcomer has the lower one half of the time.
        for _ in 0..<40 {
            let first = ColonioNode(options: NodeRecoveryTests.options(links), logger: NodeEndToEndTests.logger)
            try await first.connect(seed: seed.url, network: "alpha", token: "alpha-token")
            let second = ColonioNode(options: NodeRecoveryTests.options(links), logger: NodeEndToEndTests.logger)
            try await second.connect(seed: seed.url, network: "alpha", token: "alpha-token")
            let (firstID, secondID) = (try #require(await first.nodeID), try #require(await second.nodeID))
            if secondID < firstID {
                #expect(await eventually {
                    let (a, b) = (await first.linkedPeers, await second.linkedPeers)
                    return a == [secondID] && b == [firstID]
                })
                return (seed, second, first)
            }
            await first.disconnect()
            await second.disconnect()
        }
        await seed.stop()
        throw SignalingRaceError.noLowerNewcomer
    }

    @Test func aLateOfferOfTheSideThatLostTheGlareLeavesTheLinkAlone() async throws {
        let (seed, offerer, answerer) = try await Self.linkedPairWithLowerOfferer()
        let answererID = try #require(await answerer.nodeID)
        let offererID = try #require(await offerer.nodeID)

        // The higher ID's own offer, sent before it took the lower ID's, arrives after the link is up.
        await offerer.injectSignal(Self.unacceptableOffer(sessionID: 0x5747_1e), from: answererID)
        #expect(await offerer.linkedPeers == [answererID])
        // A round trip over the link after the offer was handled: the link still carries traffic.
        await answerer.handle("echo") { message in message.payload }
        #expect(try await offerer.request([7], to: answererID, name: "echo") == [7])
        #expect(await offerer.linkedPeers == [answererID])
        #expect(await answerer.linkedPeers == [offererID])

        await offerer.disconnect()
        await answerer.disconnect()
        await seed.stop()
    }

    @Test func anOfferFromThePeerOfAnAnsweredLinkReplacesIt() async throws {
        // The other way round the peer's offer is new (its side of the link is gone): it is taken.
        let (seed, offerer, answerer) = try await Self.linkedPairWithLowerOfferer()
        let offererID = try #require(await offerer.nodeID)
        await answerer.injectSignal(Self.unacceptableOffer(sessionID: 0x0ffe2), from: offererID)
        // The old link made way for one whose offer cannot be accepted (no such in-memory offer).
        #expect(await answerer.linkedPeers.isEmpty)
        // The ring links them again.
        #expect(await eventually { await answerer.linkedPeers == [offererID] })

        await offerer.disconnect()
        await answerer.disconnect()
        await seed.stop()
    }
}

enum SignalingRaceError: Error {
    case noLowerNewcomer
}
