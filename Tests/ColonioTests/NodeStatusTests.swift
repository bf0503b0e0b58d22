import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Testing

/// `ColonioNode.status()` and `links()` between real nodes over WebRTC on loopback.
@Suite(.serialized) struct NodeStatusTests {
    @Test func statusAndLinksDescribeATwoNodeRing() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let idle = ColonioNode(options: ColonioNodeOptions(loopbackOnly: true), logger: NodeEndToEndTests.logger)
        #expect(await idle.status() == .disconnected)
        #expect(await idle.links().isEmpty)

        let nodes = try await NodeEndToEndTests.startNodes(2, seed: seed)
        let first = try #require(await nodes[0].nodeID)
        let second = try #require(await nodes[1].nodeID)
        try await nodes[0].setPosition(Position(x: 10, y: 20))
        // Bounded: the link forms and ICE measures a round trip within a few seconds on loopback. A peer's
        // connectivity check can arrive before its signaled candidate does; until then ICE calls that
        // remote candidate peer-reflexive, so wait for the signaled one as well (it stayed peer-reflexive
        // for good when candidates overtook the offer and were dropped; see `LinkEntry.heldCandidates`).
        let link = await eventuallyValue {
            await nodes[0].links().first {
                $0.state == .authenticated && $0.roundTripTime != nil && $0.remoteCandidateType != .peerReflexive
            }
        }
        let found = try #require(link, "no authenticated link with an RTT and a signaled remote candidate")
        #expect(found.peer == second)
        #expect(found.localCandidateType == .host)
        #expect(found.remoteCandidateType == .host)
        #expect(found.role == .neighbour)
        // No byte counts asserted: they belong to the selected pair, and ICE may switch pairs (127.0.0.1 vs ::1)
        // after the hello went over the first one.

        // Traffic for the counters; a loop, not a closure: closures must not capture `NodeID`s (Swift 6.3 bug).
        var answered = false
        for _ in 0..<50 where !answered {
            answered = (try? await nodes[0].request([1], to: second, name: "echo")) != nil
            if !answered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(answered)
        let status = await nodes[0].status()
        #expect(status.nodeID == first)
        #expect(status.network == "alpha")
        #expect(status.isConnected && status.isSeedConnected)
        #expect(status.position == Position(x: 10, y: 20))
        #expect(status.successors.first == second)
        #expect(status.predecessors.first == second)
        #expect(status.linkCount == 1)
        #expect(status.statistics.framesSent > 0 && status.statistics.framesReceived > 0)

        for node in nodes { await node.disconnect() }
        #expect(await nodes[0].status().isConnected == false)
        #expect(await nodes[0].links().isEmpty)
        await seed.stop()
    }
}
