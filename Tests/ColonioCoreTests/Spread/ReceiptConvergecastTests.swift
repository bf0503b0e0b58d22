import Testing
@testable import ColonioCore

/// `requireReceiver`: the publisher learns that nobody received a message as soon as every branch of its
/// path has answered (``ReceiptConvergecast``), exactly, and falls back to the timeout only for a lost
/// branch.
@Suite struct ReceiptConvergecastTests {
    private let message = SpreadMessageID(origin: NodeID(1), sequence: 1)

    @Test func aBranchIsDecidedByItsFirstReachedOrItsLastNotReached() throws {
        var state = ReceiptConvergecast()
        let expiry = MonotonicTime(milliseconds: 100)
        let waiting = state.wait(for: message, parent: NodeID(9), targets: [NodeID(2), NodeID(3)], expiry: expiry)
        #expect(waiting)
        let notAsked = state.answer(message, from: NodeID(4), reached: false)
        let first = state.answer(message, from: NodeID(2), reached: false)
        let again = state.answer(message, from: NodeID(2), reached: false)  // a duplicate counts once
        #expect(notAsked == nil && first == nil && again == nil)
        let last = state.answer(message, from: NodeID(3), reached: false)
        let decided = try #require(last)
        #expect(decided.parent == NodeID(9) && !decided.reached)
        #expect(state.count == 0)
        let late = state.answer(message, from: NodeID(3), reached: true)  // decided already
        #expect(late == nil)

        let waitingAgain = state.wait(for: message, parent: nil, targets: [NodeID(2), NodeID(3)], expiry: expiry)
        #expect(waitingAgain)
        let firstReached = state.answer(message, from: NodeID(3), reached: true)
        let reached = try #require(firstReached)
        #expect(reached.parent == nil && reached.reached)
        #expect(state.count == 0)
    }

    @Test func unansweredBranchesExpireAndTheStateIsBounded() {
        var state = ReceiptConvergecast()
        let waiting = state.wait(for: message, parent: NodeID(9), targets: [NodeID(2)], expiry: MonotonicTime(milliseconds: 100))
        #expect(waiting)
        state.removeExpired(now: MonotonicTime(milliseconds: 99))
        #expect(state.count == 1)
        state.removeExpired(now: MonotonicTime(milliseconds: 100))
        #expect(state.count == 0)
        let expired = state.answer(message, from: NodeID(2), reached: false)
        #expect(expired == nil)
        for sequence in 0..<UInt64(ReceiptConvergecast.maximumPending) {
            let accepted = state.wait(for: SpreadMessageID(origin: NodeID(1), sequence: sequence), parent: nil,
                                      targets: [NodeID(2)], expiry: MonotonicTime(milliseconds: 100))
            #expect(accepted)
        }
        let overflow = state.wait(for: SpreadMessageID(origin: NodeID(2), sequence: 0), parent: nil, targets: [NodeID(2)],
                                  expiry: MonotonicTime(milliseconds: 100))
        #expect(!overflow)
    }

    /// Nobody inside subscribes: the answer comes back along the path with no time passing at all (the
    /// simulation moves its clock only when told), not after the 10 s receipt timeout.
    @Test func noReceiverIsAnsweredWhenEveryBranchHasAnswered() {
        var sim = GeoInstanceTests.network()
        for node in sim.ids { sim.instances[node]!.unsubscribe("t") }
        let center = Position(x: 500, y: 500)
        let insideCount = sim.ids.filter { sim.space.distance(sim.positions[$0]!, center) <= 300 }.count
        #expect(insideCount > 5)
        for publisher in [sim.ids.first { sim.space.distance(sim.positions[$0]!, center) <= 300 }!,
                          sim.ids.first { sim.space.distance(sim.positions[$0]!, center) > 300 }!] {
            let published = sim.now
            let id = sim.publish(from: publisher, center: center, radius: 300, options: SpreadOptions(requireReceiver: true))
            sim.deliverQueued()
            #expect(sim.outcomes[id] == [.publishFailed(id, .noReceiver)])
            #expect(sim.outcomeTimes[id] == published)
        }
    }

    /// Random subscribers, circles and publishers on every space: the outcome is exactly one directive,
    /// success exactly when another subscriber inside the circle received the message, each of them once.
    @Test(arguments: GeoInstanceSimulationTests.spaces)
    func theOutcomeIsExactForAnySubscribers(space: CoordinateSpace) {
        var sim = GeoSimulation(space: space, seed: 21)
        var random = SplitMix64(seed: 22)
        sim.bootstrap((0..<80).map { _ in randomPosition(in: space, using: &random) })
        let settled = sim.run()
        #expect(settled)
        let circles = GeoInstanceSimulationTests.specialCircles(space)
            + (0..<20).map { _ in (randomPosition(in: space, using: &random), radius(in: space, using: &random)) }
        var outcomes = (succeeded: 0, failed: 0)
        for (round, (center, radius)) in circles.enumerated() {
            // From no subscriber to many; sometimes exactly one, inside.
            let share = [0, 1, 5, 20][round % 4]
            var subscribers = Set(sim.ids.filter { _ in random.next() % 100 < share })
            let inside = sim.ids.filter { space.contains(center: center, radius: radius, sim.positions[$0]!) }
            if round % 5 == 4, let only = inside.randomElement(using: &random) { subscribers = [only] }
            for node in sim.ids {
                if subscribers.contains(node) { sim.instances[node]!.subscribe("t") } else { sim.instances[node]!.unsubscribe("t") }
            }
            let publisher = sim.ids[Int(random.next() % UInt64(sim.ids.count))]
            let expected = Set(inside.filter { subscribers.contains($0) && $0 != publisher })
            sim.deliveries = [:]
            let published = sim.now
            let id = sim.publish(from: publisher, center: center, radius: radius, options: SpreadOptions(requireReceiver: true))
            sim.deliverQueued()
            let outcome: GeoDirective = expected.isEmpty ? .publishFailed(id, .noReceiver) : .publishSucceeded(id)
            #expect(sim.outcomes[id] == [outcome], "round \(round): \(expected.count) subscribers inside")
            #expect(sim.outcomeTimes[id] == published, "round \(round)")
            if expected.isEmpty { outcomes.failed += 1 } else { outcomes.succeeded += 1 }
            let received = sim.deliveries.filter { $0.value.contains { $0.id == id } }
            #expect(Set(received.keys) == expected, "round \(round)")
            #expect(received.allSatisfy { $0.value.filter { $0.id == id }.count == 1 }, "round \(round)")
            _ = sim.run()
            #expect(sim.outcomes[id]?.count == 1, "round \(round): a second outcome")
        }
        #expect(outcomes.succeeded > 3 && outcomes.failed > 3)
    }

    /// A node on the path crashed without anyone knowing: its branch never answers, so the publisher does
    /// not guess; it reports ``SpreadError/noReceiver`` when the receipt timeout passes.
    @Test func aLostBranchFallsBackToTheReceiptTimeout() {
        var sim = GeoInstanceTests.network()
        for node in sim.ids { sim.instances[node]!.unsubscribe("t") }
        let center = Position(x: 500, y: 500)
        let publisher = sim.ids.min { sim.space.distance(sim.positions[$0]!, center) < sim.space.distance(sim.positions[$1]!, center) }!
        let neighbour = sim.instances[publisher]!.neighbours.keys.sorted().first {
            sim.space.distance(sim.positions[$0]!, center) <= 300
        }!
        sim.crash(neighbour)
        let id = sim.publish(from: publisher, center: center, radius: 300, options: SpreadOptions(requireReceiver: true))
        sim.deliverQueued()
        #expect(sim.outcomes[id] == nil)
        sim.tick(advancing: sim.instances[publisher]!.receiptTimeoutMilliseconds - 1)
        #expect(sim.outcomes[id] == nil)
        sim.tick(advancing: 1)
        #expect(sim.outcomes[id] == [.publishFailed(id, .noReceiver)])
    }

    private func radius(in space: CoordinateSpace, using random: inout SplitMix64) -> Double {
        switch space {
        case .plane(let width, _), .torus(let width, _): return Double(random.next() % 1000) / 1000 * width * 0.3
        case .sphere: return Double(1_000_000 + random.next() % 6_000_000)
        }
    }
}
