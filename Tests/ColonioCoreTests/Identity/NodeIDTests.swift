import Testing
@testable import ColonioCore

@Suite struct NodeIDTests {
    @Test func hexRoundTripsAndIsFixedWidth() {
        let id = NodeID(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        #expect(id.hex == "0123456789abcdeffedcba9876543210")
        #expect(NodeID(hex: id.hex) == id)
        #expect(NodeID(hex: "0123456789ABCDEFFEDCBA9876543210") == id)
        #expect(NodeID.zero.hex == String(repeating: "0", count: 32))
    }

    @Test(arguments: ["", "0", String(repeating: "0", count: 31), String(repeating: "0", count: 33),
                      String(repeating: "g", count: 32), "0123456789abcdeffedcba987654321-"])
    func malformedHexIsRejected(_ text: String) {
        #expect(NodeID(hex: text) == nil)
    }

    @Test func distanceWrapsAroundTheRing() {
        let near = NodeID.max.retreated(by: 9)
        #expect(near.distance(to: NodeID(5)) == 15)
        #expect(NodeID(5).distance(to: near) == UInt128.max - 14)
        #expect(NodeID.max.advanced(by: 1) == .zero)
        #expect(NodeID.zero.retreated(by: 1) == .max)
    }

    @Test func betweenIsHalfOpenAndWraps() {
        let a = NodeID(10), b = NodeID(20)
        #expect(NodeID(15).isBetween(a, andIncluding: b))
        #expect(NodeID(20).isBetween(a, andIncluding: b))
        #expect(!NodeID(10).isBetween(a, andIncluding: b))
        #expect(!NodeID(25).isBetween(a, andIncluding: b))
        // Arc that crosses zero.
        #expect(NodeID(3).isBetween(b, andIncluding: a))
        #expect(NodeID.max.isBetween(b, andIncluding: a))
        #expect(!NodeID(15).isBetween(b, andIncluding: a))
        // Degenerate arc covers the ring.
        #expect(NodeID(99).isBetween(a, andIncluding: a))
    }

    @Test func randomIDsUseBothHalves() {
        var generator = SystemRandomNumberGenerator()
        let ids = (0..<64).map { _ in NodeID.random(using: &generator) }
        #expect(Set(ids).count == 64)
        #expect(ids.contains { $0.high != 0 } && ids.contains { $0.low != 0 })
    }

    @Test func nearestTakesTheClosestFewAndBreaksTiesByID() {
        let centre = NodeID(1_000)
        let ids = [NodeID(1_010), NodeID(990), NodeID(1_003), NodeID(5_000), NodeID(997), NodeID(1_000_000)]
        let distance = { (id: NodeID) in min(id.distance(to: centre), centre.distance(to: id)) }
        // 990 and 1,010 are equally far: the smaller ID goes first, whatever the candidates' order.
        #expect(NodeID.nearest(4, of: ids, by: distance) == [NodeID(997), NodeID(1_003), NodeID(990), NodeID(1_010)])
        #expect(NodeID.nearest(4, of: ids.reversed(), by: distance) == [NodeID(997), NodeID(1_003), NodeID(990), NodeID(1_010)])
        #expect(NodeID.nearest(3, of: ids, by: distance) == [NodeID(997), NodeID(1_003), NodeID(990)])
        #expect(NodeID.nearest(3, of: ids.reversed(), by: distance) == [NodeID(997), NodeID(1_003), NodeID(990)])
        #expect(NodeID.nearest(10, of: ids, by: distance).count == ids.count)
        #expect(NodeID.nearest(0, of: ids, by: distance).isEmpty)
    }
}
