import Testing
@testable import ColonioCore

/// A message shaped like the real ones: scalar, string, ID, nested and repeated fields.
private struct Sample: WireMessage, Equatable {
    var count: UInt64 = 0
    var delta: Int64 = 0
    var name = ""
    var id = NodeID.zero
    var score = 0.0
    var children: [Sample] = []

    init(count: UInt64 = 0, delta: Int64 = 0, name: String = "", id: NodeID = .zero, score: Double = 0,
         children: [Sample] = []) {
        (self.count, self.delta, self.name, self.id, self.score, self.children) =
            (count, delta, name, id, score, children)
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        while let field = try reader.nextField() {
            switch field.number {
            case 1: count = try reader.readUInt64(field)
            case 2: delta = try reader.readSInt64(field)
            case 3: name = try reader.readString(field, limit: 64)
            case 4: id = try reader.readNodeID(field)
            case 5: score = try reader.readDouble(field)
            case 6:
                guard children.count < 4 else { throw .countLimitExceeded(field: 6, limit: 4) }
                children.append(try reader.readMessage(field, limit: 1024))
            default: try reader.skip(field)
            }
        }
    }

    func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: count)
        writer.write(field: 2, sint64: delta)
        writer.write(field: 3, string: name)
        writer.write(field: 4, nodeID: id)
        writer.write(field: 5, double: score)
        for child in children { writer.write(field: 6, message: child) }
    }
}

@Suite struct WireCodecTests {
    @Test(arguments: [UInt64(0), 1, 127, 128, 300, 16_383, 16_384, UInt64(UInt32.max), UInt64.max])
    func varintRoundTrips(_ value: UInt64) throws {
        var writer = WireWriter()
        writer.writeVarint(value)
        var reader = WireReader(writer.bytes)
        #expect(try reader.readVarint() == value)
        #expect(reader.isAtEnd)
    }

    @Test func varintMatchesProtobufBytes() {
        var writer = WireWriter()
        writer.writeVarint(300)
        #expect(writer.bytes == [0xAC, 0x02])
        var field = WireWriter()
        field.write(field: 2, string: "testing")
        #expect(field.bytes == [0x12, 0x07] + Array("testing".utf8))
    }

    @Test func messageRoundTripsIncludingNestedAndNegative() throws {
        let message = Sample(count: 42, delta: -7, name: "héllo", id: NodeID(high: 1, low: 2), score: -0.5,
                             children: [Sample(count: 1), Sample(name: "c", children: [Sample(delta: .min)])])
        #expect(try Sample(decoding: message.encoded()) == message)
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        var writer = WireWriter()
        writer.write(field: 99, uint64: 5)
        writer.write(field: 98, fixed64: 5)
        writer.write(field: 97, bytes: [1, 2, 3])
        writer.writeKey(field: 96, type: .fixed32)
        writer.writeVarint(0) // placeholder byte so the fixed32 below has 4 bytes total
        writer.writeVarint(0); writer.writeVarint(0); writer.writeVarint(0)
        writer.write(field: 1, uint64: 9)
        #expect(try Sample(decoding: writer.bytes).count == 9)
    }

    @Test func truncatedInputIsATypedError() {
        var writer = WireWriter()
        writer.write(field: 3, string: "truncate me")
        writer.write(field: 4, nodeID: NodeID(7))
        writer.write(field: 5, double: 1.5)
        let bytes = writer.bytes
        // Every cut except those on a field boundary leaves a field incomplete.
        let boundaries: Set<Int> = [13, 31]
        for cut in 1..<bytes.count where !boundaries.contains(cut) {
            #expect(throws: WireDecodingError.self) { try Sample(decoding: Array(bytes[..<cut])) }
        }
    }

    @Test func lengthAboveLimitIsRejectedBeforeAllocating() {
        var writer = WireWriter()
        writer.writeKey(field: 3, type: .lengthDelimited)
        writer.writeVarint(1 << 40) // claims a terabyte
        #expect(throws: WireDecodingError.lengthLimitExceeded(length: 1 << 40, limit: 64)) {
            try Sample(decoding: writer.bytes)
        }
    }

    @Test func malformedVarintsAndWireTypesAreRejected() {
        #expect(throws: WireDecodingError.malformedVarint) {
            try Sample(decoding: [UInt8](repeating: 0xFF, count: 11))
        }
        #expect(throws: WireDecodingError.unsupportedWireType(3)) { try Sample(decoding: [0x0B]) }
        #expect(throws: WireDecodingError.invalidFieldNumber(0)) { try Sample(decoding: [0x00, 0x00]) }
        #expect(throws: WireDecodingError.wireTypeMismatch(field: 1)) { try Sample(decoding: [0x0A, 0x00]) }
    }

    @Test func invalidUTF8AndBadNodeIDLengthAreRejected() {
        #expect(throws: WireDecodingError.invalidValue(field: 3)) { try Sample(decoding: [0x1A, 0x01, 0xFF]) }
        #expect(throws: WireDecodingError.invalidValue(field: 4)) { try Sample(decoding: [0x22, 0x01, 0x00]) }
    }

    @Test func deepNestingAndTooManyChildrenAreRejected() {
        var deep = Sample()
        for _ in 0..<20 { deep = Sample(children: [deep]) }
        #expect(throws: WireDecodingError.nestingTooDeep) { try Sample(decoding: deep.encoded()) }
        let wide = Sample(children: Array(repeating: Sample(), count: 5))
        #expect(throws: WireDecodingError.countLimitExceeded(field: 6, limit: 4)) {
            try Sample(decoding: wide.encoded())
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            let bytes = (0..<Int(generator.next() % 48)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? Sample(decoding: bytes)
        }
    }
}
