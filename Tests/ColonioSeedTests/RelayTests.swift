import Crypto
import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Testing

@Suite struct RelayTests {
    @Test func relayDeliversEveryKindInOrder() async throws {
        // Enough rate budget for a burst of 300 frames.
        let configuration = RunningSeed.configuration(limits: SeedLimitsConfiguration(framesPerSecond: 1000))
        try await RunningSeed.with(configuration) { seed in
            let sender = try await seed.connect()
            let receiver = try await seed.connect()
            var sent: [SignalPayload] = []
            for index in 0..<300 {
                let kind: SignalPayload.Kind
                switch index % 3 {
                case 0: kind = .offer(sdp: "v=0 offer \(index)")
                case 1: kind = .answer(sdp: "v=0 answer \(index)")
                default:
                    kind = .candidate(
                        candidate: "candidate:\(index) 1 udp 2122260223 127.0.0.1 \(40000 + index) typ host",
                        sdpMid: index % 2 == 0 ? "0" : nil, sdpMLineIndex: index % 2 == 0 ? 0 : nil)
                }
                let payload = SignalPayload(sessionID: UInt64(index), kind: kind)
                sent.append(payload)
                try sender.send(signal: payload, to: receiver.session.nodeID)
            }
            var received: [SignalPayload] = []
            var iterator = receiver.signals.makeAsyncIterator()
            while received.count < sent.count, let signal = await iterator.next() {
                #expect(signal.from == sender.session.nodeID)
                received.append(signal.payload)
            }
            #expect(received == sent)
            await sender.close()
            await receiver.close()
        }
    }

    @Test func disconnectUnregisters() async throws {
        try await RunningSeed.with { seed in
            let leaving = try await seed.connect()
            let staying = try await seed.connect()
            let leavingID = leaving.session.nodeID
            await leaving.close()
            #expect(!leaving.isConnected)
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 1 })
            try staying.send(signal: SignalPayload(sessionID: 1, kind: .offer(sdp: "x")), to: leavingID)
            let failure = await next(staying.failures)
            #expect(failure?.code == .unknownPeer)
            #expect(failure?.peer == leavingID)
            let newcomer = try await seed.connect()
            #expect(newcomer.session.bootstrapPeers == [staying.session.nodeID])
            #expect(throws: SeedClientError.closed) {
                try leaving.send(signal: SignalPayload(sessionID: 1, kind: .offer(sdp: "x")), to: leavingID)
            }
            await staying.close()
            await newcomer.close()
        }
    }

    /// Keepalive timeouts run on the seed's clock: with a manual one, a silent connection is dropped when
    /// the clock passes the timeout, and a keepalive moves its deadline, without waiting for either.
    @Test func lapsedKeepaliveUnregisters() async throws {
        let clock = ManualClock()
        let limits = SeedLimitsConfiguration(keepaliveIntervalMilliseconds: 500, keepaliveTimeoutMilliseconds: 2000)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits), clock: clock.colonioClock) { seed in
            let key = { Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation) }
            let talking = RawSeedSocket(url: seed.url)
            let silent = RawSeedSocket(url: seed.url)
            for socket in [talking, silent] {
                socket.send(.signIn(SignInRequest(network: "alpha", token: "alpha-token", publicKey: key())))
                var signedIn = false
                while let frame = await next(socket.frames) {
                    if case .signedIn = frame { signedIn = true; break }
                }
                #expect(signedIn)
            }
            #expect(seed.registry.nodeCount(network: "alpha") == 2)
            // The seed's sweep is the one task sleeping on its clock: once it sleeps again, it has run.
            let sweeps = clock.sleeperCount
            func advance(_ duration: Duration) async {
                clock.advance(by: duration)
                #expect(await eventually { clock.sleeperCount >= sweeps })
            }

            await advance(.milliseconds(1500))
            #expect(seed.registry.nodeCount(network: "alpha") == 2)
            // A keepalive at 1.5 s (answered, so the seed has seen it) keeps `talking` past 2 s.
            talking.send(.keepalive(nonce: 7))
            var acknowledged = false
            while let frame = await next(talking.frames) {
                if case .keepaliveAck = frame { acknowledged = true; break }
            }
            #expect(acknowledged)
            await advance(.milliseconds(1000))
            await silent.closed.value
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 1 })
            await advance(.milliseconds(1000))
            #expect(seed.registry.nodeCount(network: "alpha") == 1)
            await advance(.milliseconds(1000))
            await talking.closed.value
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 0 })
        }
    }
}

