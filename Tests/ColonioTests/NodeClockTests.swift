@testable import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Synchronization
import Testing

/// The node's timers run on the clock it is given: with a manual clock, a request's timeout and retries
/// happen when the test moves time, not after waiting for it.
@Suite(.timeLimit(.minutes(1))) struct NodeClockTests {
    /// Counts the calls of a handler that never answers, and releases them at the end of the test.
    final class HangingHandler: Sendable {
        let calls = Atomic<Int>(0)
        private let release: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation

        init() {
            (release, continuation) = AsyncStream.makeStream()
        }

        func handle(_ message: ColonioMessage) async throws -> [UInt8] {
            calls.add(1, ordering: .relaxed)
            for await _ in release {}
            throw CancellationError()
        }

        func finish() { continuation.finish() }
    }

    /// Where a request stands, seen from outside the task that waits for it.
    final class Outcome: Sendable {
        let result = Mutex<Result<[UInt8], ColonioError>?>(nil)
    }

    /// The peer's ID held in a reference: task closures must not capture a `NodeID` (see `LinkKey`).
    final class Target: Sendable {
        let id: NodeID
        init(_ id: NodeID) { self.id = id }
    }

    @Test func aRequestTimesOutAfterItsRetriesOnTheNodesClock() async throws {
        let clock = ManualClock()
        var configuration = NodeEndToEndTests.seedConfiguration()
        for index in configuration.networks.indices {
            configuration.networks[index].routing.requestTimeoutMilliseconds = 5_000
            configuration.networks[index].routing.requestRetries = 2
        }
        let seed = try await EmbeddedSeed.start(
            configuration: configuration, clock: clock.colonioClock, logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        let asking = ColonioNode(
            options: ColonioNodeOptions(inMemoryLinks: links, clock: clock.colonioClock), logger: NodeEndToEndTests.logger)
        let answering = ColonioNode(
            options: ColonioNodeOptions(inMemoryLinks: links, clock: clock.colonioClock), logger: NodeEndToEndTests.logger)
        try await asking.connect(seed: seed.url, network: "alpha", token: "alpha-token")
        try await answering.connect(seed: seed.url, network: "alpha", token: "alpha-token")
        let handler = HangingHandler()
        await answering.handle("hang", handler: handler.handle)
        let target = Target(try #require(await answering.nodeID))
        // The link forms without the clock moving: signaling and the hello are events, not timers.
        #expect(await eventually { await asking.linkedPeers == [target.id] })

        let outcome = Outcome()
        let request = Task {
            let result: Result<[UInt8], ColonioError>
            do throws(ColonioError) {
                result = .success(try await asking.request([1], to: target.id, name: "hang"))
            } catch {
                result = .failure(error)
            }
            outcome.result.withLock { $0 = result }
        }
        #expect(await eventually { handler.calls.load(ordering: .relaxed) == 1 })

        // 5 s per try, 3 tries: still waiting at 14 s of node time, failed with `.timeout` by 15 s and a tick.
        let sleepers = clock.sleeperCount
        var failedAt: Duration?
        for _ in 0..<16 where failedAt == nil {
            clock.advance(by: .seconds(1))
            // Every timer loop woken by the step has run and gone back to sleep before the next one.
            #expect(await eventually { clock.sleeperCount >= sleepers })
            if outcome.result.withLock({ $0 }) != nil {
                failedAt = clock.now.offset
            }
        }
        #expect(await eventually { outcome.result.withLock { $0 } != nil })
        await request.value
        let result = try #require(outcome.result.withLock { $0 })
        guard case .failure(.timeout) = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        let failed = try #require(failedAt ?? Optional(clock.now.offset))
        #expect(failed >= .seconds(15) && failed <= .seconds(16), "failed at \(failed) of node time")
        handler.finish()
        await asking.disconnect()
        await answering.disconnect()
        await seed.stop()
    }
}
