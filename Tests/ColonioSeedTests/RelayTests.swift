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

    @Test func lapsedKeepaliveUnregisters() async throws {
        let limits = SeedLimitsConfiguration(keepaliveIntervalMilliseconds: 100, keepaliveTimeoutMilliseconds: 2000)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits)) { seed in
            // A well-behaved client keeps itself registered with its own keepalives.
            let client = try await seed.connect()
            #expect(client.session.keepaliveInterval == .milliseconds(100))
            // A raw socket that signs in and then stays silent is dropped.
            let silent = RawSeedSocket(url: seed.url)
            let key = Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
            silent.send(.signIn(SignInRequest(network: "alpha", token: "alpha-token", publicKey: key)))
            var signedIn = false
            while let frame = await next(silent.frames) {
                if case .signedIn = frame { signedIn = true; break }
            }
            #expect(signedIn)
            #expect(seed.registry.nodeCount(network: "alpha") == 2)
            await silent.closed.value
            #expect(await eventually { seed.registry.nodeCount(network: "alpha") == 1 })
            #expect(seed.registry.nodes(network: "alpha") == [client.session.nodeID])
            #expect(client.isConnected)
            await client.close()
        }
    }
}

