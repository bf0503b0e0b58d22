import Testing
@testable import ColonioCore

@Suite struct DuplicateFilterTests {
    private func key(_ id: UInt64) -> DuplicateFilter.Key {
        DuplicateFilter.Key(source: NodeID(5), packetID: id)
    }

    @Test func secondArrivalIsADuplicate() {
        var filter = DuplicateFilter(capacity: 10, retentionMilliseconds: 1000)
        do {
            let result = filter.insert(key(1), now: .zero)
            #expect(result)
        }
        do {
            let result = filter.insert(key(1), now: .zero)
            #expect(!result)
        }
        let otherSource = filter.insert(DuplicateFilter.Key(source: NodeID(6), packetID: 1), now: .zero)
        #expect(otherSource)
    }

    @Test func memoryIsBoundedByCapacityAndAge() {
        var filter = DuplicateFilter(capacity: 10, retentionMilliseconds: 1000)
        for id in 0..<100 {
            let inserted = filter.insert(key(UInt64(id)), now: .zero)
            #expect(inserted)
        }
        #expect(filter.count == 10)
        let forgotten = filter.insert(key(0), now: .zero)
        #expect(forgotten)
        filter.forget(olderThan: MonotonicTime(milliseconds: 1000))
        #expect(filter.count == 0)
    }
}
