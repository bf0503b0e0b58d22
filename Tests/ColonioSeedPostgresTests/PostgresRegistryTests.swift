import Colonio
import ColonioCore
import ColonioSeed
import ColonioSeedPostgres
import ColonioTesting
import Crypto
import Foundation
import Synchronization
import Testing

/// Two seeds in this process sharing a throwaway PostgreSQL: what the registry promises across seeds.
@Suite(
    .serialized, .timeLimit(.minutes(2)),
    .enabled(if: ThrowawayPostgres.isAvailable, "SKIPPED: PostgreSQL is not installed (run scripts/setup.sh)"))
struct PostgresRegistryTests {
    static func client(
        _ seed: InProcessSeed, keypair: Curve25519.Signing.PrivateKey = Curve25519.Signing.PrivateKey(),
        resuming: NodeCertificate? = nil
    ) async throws(SeedClientError) -> SeedClient {
        try await SeedClient.connect(
            url: seed.url, network: "alpha", token: "alpha-token", keypair: keypair, resuming: resuming,
            logger: InProcessSeed.logger)
    }

    /// Signals of every size cross between seeds in order, once each; limits hold across seeds; peers
    /// and bootstrap peers span both seeds.
    @Test func signalsCrossSeedsInOrderAndLimitsHoldAcrossSeeds() async throws {
        try await ThrowawayPostgres.with { postgres in
            let key = SeedSigningKey()
            let configuration = InProcessSeed.configuration(maximumNodes: 3)
            let a = try await InProcessSeed.start(postgres: postgres.url, signingKey: key, configuration: configuration)
            let b = try await InProcessSeed.start(postgres: postgres.url, signingKey: key, configuration: configuration)
            let first = try await Self.client(a)
            let second = try await Self.client(b)
            #expect(second.session.bootstrapPeers == [first.session.nodeID])

            // Small signals go inline in NOTIFY, the large one (over 8,000 bytes) through the queue table.
            let large = String(repeating: "a=candidate-line\r\n", count: 1_500)
            var sent: [SignalPayload] = []
            for index in 0..<150 {
                let kind: SignalPayload.Kind = index == 70 ? .offer(sdp: large) : .candidate(
                    candidate: "candidate:\(index) 1 udp 1 127.0.0.1 \(1000 + index) typ host", sdpMid: "0", sdpMLineIndex: 0)
                sent.append(SignalPayload(sessionID: UInt64(index), kind: kind))
            }
            for payload in sent { try first.send(signal: payload, to: second.session.nodeID) }
            let signalsToSecond = Collected(second.signals)
            let failuresOfSecond = Collected(second.failures)
            let received = await signalsToSecond.first(sent.count)
            #expect(received.map(\.payload) == sent)
            #expect(received.allSatisfy { $0.from == first.session.nodeID })

            // The third node fills the network; a fourth is refused at the other seed.
            let third = try await Self.client(a)
            #expect(await a.registry.nodeCount(network: "alpha") == 3)
            await #expect {
                _ = try await Self.client(b)
            } throws: { error in
                guard let error = error as? SeedClientError, case .rejected(let refusal) = error else { return false }
                return refusal.code == .networkFull
            }
            let peers = try await second.findPeers()
            #expect(Set(peers) == [first.session.nodeID, third.session.nodeID])

            // A node that left is unknown at the other seed; its slot is free again.
            await third.close()
            #expect(await eventually { await b.registry.nodeCount(network: "alpha") == 2 })
            try second.send(signal: SignalPayload(sessionID: 9, kind: .offer(sdp: "x")), to: third.session.nodeID)
            #expect(await failuresOfSecond.first(1).first?.code == .unknownPeer)
            let fourth = try await Self.client(b)
            await fourth.close()
            await first.close()
            await second.close()
            await a.stop()
            await b.stop()
        }
    }

    /// A node resumes on another seed under its ID; the seed that held it closes its old connection, and
    /// signals reach it at its new seed.
    @Test func aNodeResumesOnAnotherSeedWhichDisplacesItsOldConnection() async throws {
        try await ThrowawayPostgres.with { postgres in
            let key = SeedSigningKey()
            let a = try await InProcessSeed.start(postgres: postgres.url, signingKey: key)
            let b = try await InProcessSeed.start(postgres: postgres.url, signingKey: key)
            let keypair = Curve25519.Signing.PrivateKey()
            let moving = try await Self.client(a, keypair: keypair)
            let staying = try await Self.client(a)
            let moved = try await Self.client(b, keypair: keypair, resuming: moving.certificate)
            #expect(moved.session.nodeID == moving.session.nodeID)
            #expect(await eventually { !moving.isConnected })
            #expect(await a.registry.nodeCount(network: "alpha") == 2)

            // From seed A (where the node was) to seed B (where it is now).
            let payload = SignalPayload(sessionID: 7, kind: .answer(sdp: "v=0"))
            try staying.send(signal: payload, to: moved.session.nodeID)
            let signal = await Collected(moved.signals).first(1).first
            #expect(signal?.from == staying.session.nodeID)
            #expect(signal?.payload == payload)
            await moved.close()
            await staying.close()
            await a.stop()
            await b.stop()
        }
    }

    /// The database goes away: sign-ins fail with a message that says so; once it is back the seeds
    /// reconnect, register their nodes again (a crash empties the tables) and relay as before.
    @Test func seedsCarryOnAfterTheDatabaseRestarts() async throws {
        try await ThrowawayPostgres.with { postgres in
            let key = SeedSigningKey()
            let a = try await InProcessSeed.start(postgres: postgres.url, signingKey: key)
            let b = try await InProcessSeed.start(postgres: postgres.url, signingKey: key)
            let first = try await Self.client(a)
            let second = try await Self.client(b)

            try postgres.stop(mode: "immediate")
            await #expect {
                _ = try await Self.client(a)
            } throws: { error in
                guard let error = error as? SeedClientError, case .rejected(let refusal) = error else { return false }
                return refusal.code == .internalError && refusal.message.contains("registry")
            }
            try postgres.start()
            #expect(await eventually(timeout: .seconds(20)) {
                a.registry.isAvailable && b.registry.isAvailable
            })
            #expect(await eventually(timeout: .seconds(10)) { await a.registry.nodeCount(network: "alpha") == 2 })

            let payload = SignalPayload(sessionID: 3, kind: .offer(sdp: "after the restart"))
            try second.send(signal: payload, to: first.session.nodeID)
            #expect(await Collected(first.signals).first(1).first?.payload == payload)
            let third = try await Self.client(b)
            #expect(Set(third.session.bootstrapPeers) == [first.session.nodeID, second.session.nodeID])
            for client in [first, second, third] { await client.close() }
            await a.stop()
            await b.stop()
        }
    }
}

/// Everything a stream yields, gathered by a task, for polling with `eventually`.
final class Collected<Element: Sendable>: Sendable {
    private final class Items: Sendable {
        let values = Mutex<[Element]>([])
    }

    private let items = Items()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<Element>) {
        let items = self.items
        task = Task {
            for await element in stream { items.values.withLock { $0.append(element) } }
        }
    }

    deinit { task.cancel() }

    var all: [Element] { items.values.withLock { $0 } }

    /// The elements once there are at least `count`, or what came within `timeout`.
    func first(_ count: Int, within timeout: Duration = .seconds(10)) async -> [Element] {
        _ = await eventually(timeout: timeout) { self.all.count >= count }
        return all
    }
}
