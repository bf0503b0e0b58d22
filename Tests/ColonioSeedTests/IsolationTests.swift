import Colonio
import ColonioCore
import ColonioSeed
import Testing

@Suite struct IsolationTests {
    @Test func networksNeverSeeEachOther() async throws {
        let configuration = RunningSeed.configuration(networks: [
            NetworkDefinition(name: "alpha", tokens: ["alpha-token"]),
            NetworkDefinition(name: "beta", tokens: ["beta-token"]),
        ])
        try await RunningSeed.with(configuration) { seed in
            let alpha = try await seed.connect(network: "alpha", token: "alpha-token")
            let beta = try await seed.connect(network: "beta", token: "beta-token")
            #expect(beta.session.isAlone)
            let beta2 = try await seed.connect(network: "beta", token: "beta-token")
            #expect(beta2.session.bootstrapPeers == [beta.session.nodeID])
            let alpha2 = try await seed.connect(network: "alpha", token: "alpha-token")
            #expect(alpha2.session.bootstrapPeers == [alpha.session.nodeID])

            // alpha's token does not open beta.
            await #expect {
                _ = try await seed.connect(network: "beta", token: "alpha-token")
            } throws: { error in
                guard case SeedClientError.rejected(let message) = error else { return false }
                return message.code == .badToken
            }

            // A signal across networks is refused as an unknown peer and never delivered.
            let payload = SignalPayload(sessionID: 77, kind: .offer(sdp: "v=0"))
            try alpha.send(signal: payload, to: beta.session.nodeID)
            let failure = await next(alpha.failures)
            #expect(failure?.code == .unknownPeer)
            #expect(failure?.peer == beta.session.nodeID)
            #expect(failure?.sessionID == 77)

            // Within a network the same signal arrives, and it is the first thing beta receives.
            try beta2.send(signal: payload, to: beta.session.nodeID)
            let received = await next(beta.signals)
            #expect(received?.from == beta2.session.nodeID)
            #expect(received?.payload == payload)

            #expect(seed.registry.nodes(network: "alpha").sorted() == [alpha.session.nodeID, alpha2.session.nodeID].sorted())
            #expect(seed.registry.nodes(network: "beta").sorted() == [beta.session.nodeID, beta2.session.nodeID].sorted())
            for client in [alpha, alpha2, beta, beta2] { await client.close() }
        }
    }
}
