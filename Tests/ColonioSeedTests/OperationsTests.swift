import ColonioSeed
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct OperationsTests {
    @Test func healthAndMetricsEndpointsAnswer() async throws {
        let server = SeedServer(
            configuration: RunningSeed.configuration(), signingKey: SeedSigningKey(), logger: RunningSeed.logger)
        let app = Application(router: server.buildRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok\n")
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains(#"colonio_seed_nodes{network="alpha"} 0"#))
                #expect(text.contains(#"colonio_seed_sign_ins_total{network="alpha"} 0"#))
                #expect(text.contains(#"colonio_seed_relayed_signals_total{network="alpha"} 0"#))
            }
        }
    }

    @Test func metricsCountSignInsAndRelays() async throws {
        try await RunningSeed.with { seed in
            let a = try await seed.connect()
            let b = try await seed.connect()
            try a.send(signal: .init(sessionID: 1, kind: .offer(sdp: "x")), to: b.session.nodeID)
            _ = await next(b.signals)
            // The relay counts a signal right after handing it to the receiver's socket, so the receiver
            // can see it a moment before the counter moves.
            let counted = await seed.eventually {
                seed.server.metrics.render().contains(#"colonio_seed_relayed_signals_total{network="alpha"} 1"#)
            }
            #expect(counted)
            let text = seed.server.metrics.render()
            #expect(text.contains(#"colonio_seed_nodes{network="alpha"} 2"#))
            #expect(text.contains(#"colonio_seed_sign_ins_total{network="alpha"} 2"#))
            #expect(text.contains(#"colonio_seed_relayed_signals_total{network="alpha"} 1"#))
            await a.close()
            await b.close()
        }
    }
}
