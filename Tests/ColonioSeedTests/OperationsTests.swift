import ColonioSeed
import ColonioTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct OperationsTests {
    @Test func healthAndMetricsEndpointsAnswer() async throws {
        try await RunningSeed.with { seed in
            let health = try await RawConnection.request("/healthz", port: seed.port)
            #expect(health.status == 200)
            #expect(String(decoding: health.body, as: UTF8.self) == "ok\n")

            let metrics = try await RawConnection.request("/metrics", port: seed.port)
            #expect(metrics.status == 200)
            #expect(metrics.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(text.contains(#"colonio_seed_nodes{network="alpha"} 0"#))
            #expect(text.contains(#"colonio_seed_sign_ins_total{network="alpha"} 0"#))
            #expect(text.contains(#"colonio_seed_relayed_signals_total{network="alpha"} 0"#))

            #expect(try await RawConnection.request("/nowhere", port: seed.port).status == 404)
            #expect(try await RawConnection.request("/healthz", method: "POST", port: seed.port).status == 405)
            // The WebSocket endpoint without an upgrade.
            #expect(try await RawConnection.request("/v1/networks/alpha/ws", port: seed.port).status == 426)
        }
    }

    @Test func oneConnectionServesSeveralRequests() async throws {
        try await RunningSeed.with { seed in
            try await RawConnection.with(port: seed.port) { connection in
                // Two requests sent back to back (pipelined), answered in order on the same connection.
                try await connection.send(
                    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                let first = try await connection.receiveHTTPHead()
                #expect(first?.hasPrefix("HTTP/1.1 200") == true)
                #expect(try await connection.receive(count: 3) == Array("ok\n".utf8))
                let second = try await connection.receiveHTTPHead()
                #expect(second?.hasPrefix("HTTP/1.1 200") == true)
                #expect(second?.lowercased().contains("content-type: text/plain; version=0.0.4") == true)
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
            let counted = await eventually {
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
