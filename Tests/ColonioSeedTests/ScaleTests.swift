import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Crypto
import Testing

@Suite struct ScaleTests {
    /// 1,000 nodes sign in concurrently, then each sends one signal to the next node in sign-in
    /// order; every node receives exactly one signal, from its predecessor in that order.
    @Test func thousandConcurrentClientsSignInAndRelay() async throws {
        let count = 1000
        // Every client connects from 127.0.0.1.
        let limits = SeedLimitsConfiguration(maximumConnectionsPerAddress: 2 * count)
        try await RunningSeed.with(RunningSeed.configuration(limits: limits)) { seed in
            let clients = try await withThrowingTaskGroup(of: SeedClient.self) { group in
                for _ in 0..<count {
                    group.addTask { try await seed.connect() }
                }
                var clients: [SeedClient] = []
                for try await client in group { clients.append(client) }
                return clients
            }
            #expect(clients.count == count)
            #expect(Set(clients.map(\.session.nodeID)).count == count)
            #expect(seed.registry.nodeCount(network: "alpha") == count)

            for (index, client) in clients.enumerated() {
                let target = clients[(index + 1) % count].session.nodeID
                try client.send(signal: SignalPayload(sessionID: UInt64(index), kind: .offer(sdp: "o")), to: target)
            }
            let received = await withTaskGroup(of: (Int, NodeID?, UInt64?).self) { group in
                for (index, client) in clients.enumerated() {
                    group.addTask {
                        let signal = await next(client.signals, timeout: .seconds(60))
                        return (index, signal?.from, signal?.payload.sessionID)
                    }
                }
                var all: [(Int, NodeID?, UInt64?)] = []
                for await result in group { all.append(result) }
                return all
            }
            var correct = 0
            for (index, from, session) in received {
                let previous = (index + count - 1) % count
                if from == clients[previous].session.nodeID, session == UInt64(previous) { correct += 1 }
            }
            #expect(correct == count)
            await withTaskGroup(of: Void.self) { group in
                for client in clients { group.addTask { await client.close() } }
            }
            #expect(await eventually(timeout: .seconds(20)) { seed.registry.nodeCount(network: "alpha") == 0 })
        }
    }
}
