import Testing
@testable import ColonioCore

@Suite struct FragmentationTests {
    static let source = NodeID(high: 1, low: 2)

    private func fragments(of body: [UInt8], packetID: UInt64 = 1, size: Int) -> [OverlayPacket] {
        let pieces = Fragmenter.split(body, fragmentBytes: size)
        return pieces.enumerated().map { index, piece in
            OverlayPacket(
                destination: .zero, mode: .toNode, source: Self.source, packetID: packetID,
                fragmentIndex: UInt32(index), fragmentCount: UInt32(pieces.count), body: piece)
        }
    }

    private func reassembler(maximumBody: Int = 1000, pending: Int = 4, buffered: Int = 4000) -> Reassembler {
        Reassembler(fragmentBytes: 100, maximumBodyBytes: maximumBody, maximumPending: pending,
                    maximumBufferedBytes: buffered, timeoutMilliseconds: 1000)
    }

    @Test func splitCutsIntoFullPiecesAndARemainder() {
        let body = (0..<250).map { UInt8(truncatingIfNeeded: $0) }
        let pieces = Fragmenter.split(body, fragmentBytes: 100)
        #expect(pieces.map(\.count) == [100, 100, 50])
        #expect(Array(pieces.joined()) == body)
        #expect(Fragmenter.split([], fragmentBytes: 100) == [[]])
        #expect(Fragmenter.split(Array(body.prefix(100)), fragmentBytes: 100).count == 1)
        #expect(Fragmenter.fragmentCount(byteCount: 201, fragmentBytes: 100) == 3)
    }

    @Test func outOfOrderAndDuplicateFragmentsReassembleOnce() {
        let body = (0..<950).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var parts = fragments(of: body, size: 100)
        parts.reverse()
        parts.insert(parts[3], at: 5)
        var machine = reassembler()
        var completed: [[UInt8]] = []
        for part in parts {
            if case .complete(let whole) = machine.add(part, now: .zero) { completed.append(whole) }
        }
        #expect(completed == [body])
        #expect(machine.pendingCount == 0)
        #expect(machine.bufferedBytes == 0)
    }

    @Test func fragmentsBreakingTheLimitsAreRejected() {
        var machine = reassembler()
        let tooMany = OverlayPacket(destination: .zero, mode: .toNode, source: Self.source, packetID: 1,
                                    fragmentIndex: 0, fragmentCount: 11, body: [UInt8](repeating: 0, count: 100))
        do {
            let result = machine.add(tooMany, now: .zero)
            #expect(result == .rejected)
        }
        let oversized = OverlayPacket(destination: .zero, mode: .toNode, source: Self.source, packetID: 2,
                                      fragmentIndex: 0, fragmentCount: 2, body: [UInt8](repeating: 0, count: 101))
        do {
            let result = machine.add(oversized, now: .zero)
            #expect(result == .rejected)
        }
        let shortMiddle = OverlayPacket(destination: .zero, mode: .toNode, source: Self.source, packetID: 3,
                                        fragmentIndex: 0, fragmentCount: 2, body: [1])
        do {
            let result = machine.add(shortMiddle, now: .zero)
            #expect(result == .rejected)
        }
        var first = fragments(of: [UInt8](repeating: 1, count: 300), packetID: 4, size: 100)[0]
        do {
            let result = machine.add(first, now: .zero)
            #expect(result == .incomplete)
        }
        first.fragmentCount = 4
        first.fragmentIndex = 1
        let contradicting = machine.add(first, now: .zero)
        #expect(contradicting == .rejected)  // contradicts the count seen before
        #expect(machine.pendingCount == 0)
    }

    @Test func pendingBodiesAreBoundedByCountAndBytes() {
        var machine = reassembler(pending: 4, buffered: 450)
        for id in 1...10 {
            let first = fragments(of: [UInt8](repeating: 1, count: 300), packetID: UInt64(id), size: 100)[0]
            let outcome = machine.add(first, now: MonotonicTime(milliseconds: UInt64(id)))
            #expect(outcome == .incomplete)
            #expect(machine.pendingCount <= 4)
            #expect(machine.bufferedBytes <= 450)
        }
        // The oldest were dropped to make room: the newest body still completes.
        let newest = fragments(of: [UInt8](repeating: 1, count: 300), packetID: 10, size: 100)
        do {
            let result = machine.add(newest[1], now: .zero)
            #expect(result == .incomplete)
        }
        do {
            let result = machine.add(newest[2], now: .zero)
            #expect(result == .complete([UInt8](repeating: 1, count: 300)))
        }
        let oldest = fragments(of: [UInt8](repeating: 1, count: 300), packetID: 1, size: 100)
        let restarted = machine.add(oldest[1], now: .zero)
        #expect(restarted == .incomplete)  // starts over: its first piece is gone
    }

    @Test func incompleteBodiesExpire() {
        var machine = reassembler()
        let parts = fragments(of: [UInt8](repeating: 2, count: 250), size: 100)
        do {
            let result = machine.add(parts[0], now: MonotonicTime(milliseconds: 100))
            #expect(result == .incomplete)
        }
        do {
            let result = machine.expire(now: MonotonicTime(milliseconds: 1099))
            #expect(result == 0)
        }
        do {
            let result = machine.expire(now: MonotonicTime(milliseconds: 1100))
            #expect(result == 1)
        }
        #expect(machine.pendingCount == 0)
        #expect(machine.bufferedBytes == 0)
        do {
            let result = machine.add(parts[1], now: MonotonicTime(milliseconds: 1200))
            #expect(result == .incomplete)
        }
    }
}
