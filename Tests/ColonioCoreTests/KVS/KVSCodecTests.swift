import Testing
@testable import ColonioCore

@Suite("KVS messages and placement")
struct KVSCodecTests {
    static let ballot = KVSBallot(counter: 7, node: NodeID(high: 0xAB, low: 0xCD))
    static let register = KVSRegister(
        version: 3, bytes: [0, 1, 255],
        recentWrites: [KVSWriteTag(node: NodeID(5), operation: 9, version: 3)])
    static let messages: [KVSMessage] = [
        .prepare(key: "k", request: 1, ballot: ballot),
        .promise(key: "ключ", request: 2, ballot: ballot, accepted: .zero, register: .empty),
        .promise(key: "k", request: 2, ballot: ballot, accepted: ballot, register: register),
        .accept(key: "k", request: .max, ballot: ballot, register: register),
        .accept(key: "", request: 0, ballot: .zero, register: KVSRegister(version: 1, bytes: [])),
        .accept(key: "k", request: 3, ballot: ballot, register: KVSRegister(version: 4, bytes: nil)),
        .accepted(key: "k", request: 4, ballot: ballot),
        .reject(key: "k", request: 5, ballot: .zero, promised: ballot),
    ]

    @Test(arguments: messages)
    func roundTrip(_ message: KVSMessage) throws {
        #expect(try KVSMessage(decoding: message.encoded()) == message)
    }

    @Test func emptyValueAndTombstoneStayDistinct() throws {
        let empty = KVSRegister(version: 1, bytes: [])
        let tombstone = KVSRegister(version: 1, bytes: nil)
        #expect(try KVSRegister(decoding: empty.encoded()) == empty)
        #expect(try KVSRegister(decoding: tombstone.encoded()) == tombstone)
        #expect(empty.encoded() != tombstone.encoded())
    }

    @Test func encodingIsOneOverlayField() throws {
        // Field 43, length-delimited: key 43 << 3 | 2 = 346 = varint 0xDA 0x02, then the body's length.
        let message = KVSMessage.accepted(key: "k", request: 1, ballot: .zero)
        let bytes = message.encoded()
        #expect(Array(bytes.prefix(3)) == [0xDA, 0x02, UInt8(bytes.count - 3)])
        var reader = WireReader(bytes)
        let field = try! reader.nextField()!
        #expect(KVSMessage.fieldNumbers.contains(field.number))
        #expect(try KVSMessage(field: field, reader: &reader) == message)
        #expect(reader.isAtEnd)
    }

    @Test func garbageIsRejectedNotCrashed() {
        var random = SplitMix64(seed: 42)
        var failures = 0
        for round in 0..<2_000 {
            var bytes = KVSCodecTests.messages[round % KVSCodecTests.messages.count].encoded()
            switch round % 3 {
            case 0:
                let count = Int.random(in: 0..<64, using: &random)
                bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            default: bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
            do { _ = try KVSMessage(decoding: bytes) } catch { failures += 1 }
        }
        #expect(failures > 1_000)
    }

    @Test func specificMalformedInputs() {
        #expect(throws: WireDecodingError.missingField(40)) { try KVSMessage(decoding: []) }
        // Two KVS fields in one message.
        let twice = KVSMessage.accepted(key: "k", request: 1, ballot: .zero).encoded()
        #expect(throws: WireDecodingError.invalidValue(field: 43)) { try KVSMessage(decoding: twice + twice) }
        // A body without its key.
        var writer = WireWriter()
        writer.write(field: 40, bytes: [0x10, 0x01])
        #expect(throws: WireDecodingError.missingField(1)) { try KVSMessage(decoding: writer.bytes) }
        // Payload bytes on an absent register.
        var register = WireWriter()
        register.write(field: 3, bytes: [1])
        #expect(throws: WireDecodingError.invalidValue(field: 3)) { try KVSRegister(decoding: register.bytes) }
        // Too many write tags.
        var tags = WireWriter()
        for _ in 0...KVSRegister.recentWriteLimit {
            tags.write(field: 4, message: KVSWriteTag(node: .zero, operation: 1))
        }
        #expect(throws: WireDecodingError.countLimitExceeded(field: 4, limit: KVSRegister.recentWriteLimit)) {
            try KVSRegister(decoding: tags.bytes)
        }
    }

    @Test func sha256TestVectors() {
        func hex(_ bytes: [UInt8]) -> String {
            bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        }
        #expect(hex(SHA256.hash([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func keyPositionsAreTheDigestPrefix() {
        #expect(KVSPlacement.position(ofKey: "abc") == NodeID(hex: "ba7816bf8f01cfea414140de5dae2223"))
        #expect(KVSPlacement.position(ofKey: "") == NodeID(hex: "e3b0c44298fc1c149afbf4c8996fb924"))
    }

    @Test func canonicallyEquivalentStringsAreDifferentKeys() {
        let precomposed = "\u{E9}"
        let decomposed = "e\u{301}"
        #expect(precomposed == decomposed)
        #expect(KVSKey(precomposed) != KVSKey(decomposed))
        #expect(KVSPlacement.position(ofKey: KVSKey(precomposed)) != KVSPlacement.position(ofKey: KVSKey(decomposed)))
        let message = KVSMessage.prepare(key: KVSKey(decomposed), request: 1, ballot: .zero)
        #expect(try! KVSMessage(decoding: message.encoded()).key.utf8 == [0x65, 0xCC, 0x81])
    }

    @Test func replicasAreTheOwnerAndItsSuccessors() {
        let nodes = [NodeID(100), NodeID(200), NodeID(300), NodeID(400)]
        func replicas(_ position: UInt128, _ count: Int = 3) -> [NodeID] {
            KVSPlacement.replicas(ofPosition: NodeID(position), sortedNodes: nodes, replicationFactor: count)
        }
        #expect(replicas(100) == [NodeID(100), NodeID(200), NodeID(300)])
        #expect(replicas(250) == [NodeID(200), NodeID(300), NodeID(400)])
        // Wraps: the owner of a position below every node is the greatest node.
        #expect(replicas(50) == [NodeID(400), NodeID(100), NodeID(200)])
        #expect(replicas(450) == [NodeID(400), NodeID(100), NodeID(200)])
        #expect(replicas(250, 9) == [NodeID(200), NodeID(300), NodeID(400), NodeID(100)])
        #expect(KVSPlacement.replicas(ofPosition: .zero, sortedNodes: [], replicationFactor: 3) == [])
    }
}
