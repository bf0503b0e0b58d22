import Colonio
import ColonioCore
import ColonioSeed
import Testing

@Suite struct BadInputTests {
    @Test func garbageAndOversizedFramesGetTypedErrorsWhileOthersKeepWorking() async throws {
        let limits = SeedLimitsConfiguration(maximumFrameBytes: 4096)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits)) { seed in
            let sender = try await seed.connect()
            let receiver = try await seed.connect()
            let socket = RawSeedSocket(url: seed.url)

            socket.send(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
            guard case .error(let garbage)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(garbage.code == .malformedFrame)

            socket.send(bytes: [])
            guard case .error(let empty)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(empty.code == .malformedFrame)

            socket.send(text: "hello")
            guard case .error(let text)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(text.code == .malformedFrame)

            socket.send(bytes: [UInt8](repeating: 0x0A, count: 4097))
            guard case .error(let large)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(large.code == .frameTooLarge)

            socket.send(.signal(to: receiver.session.nodeID, payload: SignalPayload(sessionID: 1, kind: .offer(sdp: ""))))
            guard case .error(let unsigned)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(unsigned.code == .notSignedIn)
            #expect(unsigned.peer == receiver.session.nodeID)

            socket.send(.renewCertificate)
            guard case .error(let renew)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(renew.code == .notSignedIn)

            socket.send(.keepaliveAck(nonce: 1))
            guard case .error(let unexpected)? = await next(socket.frames) else { throw SeedTestError.noFrame }
            #expect(unexpected.code == .unexpectedFrame)

            // The connection survived all of that: a keepalive is still answered.
            socket.send(.keepalive(nonce: 5))
            #expect(await next(socket.frames) == .keepaliveAck(nonce: 5))

            // Far beyond the transport limit the socket is closed; the seed keeps serving others.
            socket.send(bytes: [UInt8](repeating: 0, count: 2 << 20))
            await socket.closed.value

            let payload = SignalPayload(sessionID: 9, kind: .answer(sdp: "still working"))
            try sender.send(signal: payload, to: receiver.session.nodeID)
            let received = await next(receiver.signals)
            #expect(received?.payload == payload)

            let metrics = seed.server.metrics.render()
            #expect(metrics.contains(#"colonio_seed_rejected_requests_total{reason="malformed_frame"} 3"#))
            #expect(metrics.contains(#"colonio_seed_rejected_requests_total{reason="frame_too_large"} 1"#))
            #expect(metrics.contains(#"colonio_seed_rejected_requests_total{reason="not_signed_in"} 2"#))
            await sender.close()
            await receiver.close()
        }
    }

    @Test func floodIsRateLimited() async throws {
        let limits = SeedLimitsConfiguration(framesPerSecond: 5)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits)) { seed in
            let socket = RawSeedSocket(url: seed.url)
            for nonce in 1...40 { socket.send(.keepalive(nonce: UInt64(nonce))) }
            var acknowledged = 0
            var limited = 0
            while acknowledged + limited < 40, let frame = await next(socket.frames) {
                switch frame {
                case .keepaliveAck: acknowledged += 1
                case .error(let error) where error.code == .rateLimited: limited += 1
                default: break
                }
            }
            #expect(acknowledged + limited == 40)
            #expect(acknowledged >= 5)
            #expect(limited >= 1)
            await socket.close()
        }
    }
}
