@testable import ColonioCore
import Testing

/// The controller hands signals over in the order they were made or came in, however the shell's
/// asynchronous signing and checking steps finish; a step never reported is given up and holds nothing back.
struct InOrderQueueTests {
    let t0 = MonotonicTime(milliseconds: 1_000)

    @Test func itemsLeaveInTheOrderTheyCameWhateverOrderTheyFinish() {
        var queue = InOrderQueue<String, Int>(capacity: 8)
        var added: [Bool] = []
        for (id, item) in [(10, "a"), (11, "b"), (12, "c")] { added.append(queue.add(item, id: UInt64(id), now: t0)) }
        #expect(added == [true, true, true])
        let afterThird = queue.finish(12, with: 3)
        let afterSecond = queue.finish(11, with: 2)
        let afterFirst = queue.finish(10, with: 1)
        #expect(afterThird.isEmpty && afterSecond.isEmpty)
        #expect(afterFirst.map(\.item) == ["a", "b", "c"])
        #expect(afterFirst.map(\.outcome) == [1, 2, 3])
        #expect(queue.count == 0)
    }

    @Test func unknownAndRepeatedOutcomesAreIgnored() {
        var queue = InOrderQueue<String, Int>(capacity: 8)
        let added = [queue.add("a", id: 1, now: t0), queue.add("b", id: 2, now: t0)]
        #expect(added == [true, true])
        let unknown = queue.finish(99, with: 0)
        let second = queue.finish(2, with: 2)
        let secondAgain = queue.finish(2, with: 5)
        let first = queue.finish(1, with: 1)
        let firstAgain = queue.finish(1, with: 1)
        #expect(unknown.isEmpty && second.isEmpty && secondAgain.isEmpty && firstAgain.isEmpty)
        #expect(first.map(\.outcome) == [1, 2])
    }

    @Test func aFullQueueTakesNothingMore() {
        var queue = InOrderQueue<Int, Bool>(capacity: 2)
        let added = [queue.add(1, id: 1, now: t0), queue.add(2, id: 2, now: t0), queue.add(3, id: 3, now: t0)]
        #expect(added == [true, true, false])
        #expect(queue.count == 2)
    }

    @Test func aStepNeverReportedIsGivenUpAndReleasesTheFinishedOnesBehindIt() {
        var queue = InOrderQueue<String, Int>(capacity: 8)
        let added = [
            queue.add("lost", id: 1, now: t0), queue.add("done", id: 2, now: t0.adding(milliseconds: 500)),
            queue.add("late", id: 3, now: t0.adding(milliseconds: 20_000)),
        ]
        #expect(added == [true, true, true])
        let finished = queue.finish(2, with: 2)
        #expect(finished.isEmpty)
        let nothingYet = queue.giveUp(addedBefore: t0)
        #expect(nothingYet.dropped == 0 && nothingYet.ready.isEmpty)
        let expired = queue.giveUp(addedBefore: t0.adding(milliseconds: 10_000))
        #expect(expired.dropped == 1)
        #expect(expired.ready.map(\.item) == ["done"])
        #expect(queue.count == 1)
    }

    /// Two signals for the overlay whose signatures the shell reports in reverse order go out in the
    /// order they were made (a candidate must not overtake the offer of its session).
    @Test func signalsGoOutInTheOrderTheyWereMade() throws {
        let network = ControllerNetwork()
        network.addNode(id: NodeID(high: 1, low: 0))
        let b = network.addNode(id: NodeID(high: 2, low: 0))
        var controller = network.nodes[b].controller
        // Just after `a` on the ring: `b` routes it to `a`.
        let receiver = NodeID(high: 1, low: 5)
        let first = SignalPayload(sessionID: 1, kind: .offer(sdp: "v=0\r\na=fingerprint:sha-256 0A:0B\r\n"))
        let second = SignalPayload(
            sessionID: 1, kind: .candidate(candidate: "candidate:2 1 udp 1 127.0.0.1 2 typ host", sdpMid: "0", sdpMLineIndex: 0))
        var ids: [UInt64] = []
        for signal in [first, second] {
            controller.signAndRelay(signal, to: receiver, now: network.now)
            for case .signSignal(let id, let bytes) in controller.take() {
                #expect(bytes == SignedSignal.signedBytes(
                    network: ControllerNetwork.network, sender: NodeID(high: 2, low: 0), receiver: receiver, signal: signal))
                ids.append(id)
            }
        }
        #expect(ids.count == 2)
        let signature = ControllerNetwork.sign([1], key: network.nodes[b].key)
        let early = controller.signalSigned(id: ids[1], signature: signature, now: network.now)
        #expect(early.isEmpty)
        let sent = controller.signalSigned(id: ids[0], signature: signature, now: network.now)
        let signals = try sent.compactMap { action -> SignalPayload? in
            guard case .sendFrame(_, _, let frame) = action else { return nil }
            let packet = try OverlayPacket(decoding: Array(frame.dropFirst()))
            guard case .signal(let signed) = try OverlayBody(decoding: packet.body) else { return nil }
            return signed.signal
        }
        #expect(signals == [first, second])
    }
}
