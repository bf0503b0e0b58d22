import ColonioCore
import Testing

/// Issue #18, finding 1: the key and signature encodings a node or the seed must refuse.
struct Ed25519EncodingTests {
    /// RFC 8032, section 7.1, test 1: a genuine key and its signature of the empty message.
    static let rfcKey = bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let rfcSignature = bytes(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

    static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// The eight points of small order, each with both sign bits (libsodium's list).
    static let smallOrderYs: [[UInt8]] = [
        bytes("0000000000000000000000000000000000000000000000000000000000000000"),
        bytes("0100000000000000000000000000000000000000000000000000000000000000"),
        bytes("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
        bytes("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        bytes("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    ]

    @Test func aGenuineKeyAndSignatureAreAccepted() {
        #expect(Ed25519Encoding.defect(ofPublicKey: Self.rfcKey) == nil)
        #expect(Ed25519Encoding.isStrictSignature(Self.rfcSignature))
    }

    @Test func keysOfSmallOrderAreRefusedWhateverTheirSignBit() {
        for y in Self.smallOrderYs {
            var negative = y
            negative[31] |= 0x80
            #expect(Ed25519Encoding.defect(ofPublicKey: y) == .smallOrder)
            #expect(Ed25519Encoding.defect(ofPublicKey: negative) == .smallOrder)
        }
    }

    @Test func nonCanonicalAndMisSizedKeysAreRefused() {
        #expect(Ed25519Encoding.defect(ofPublicKey: [UInt8](repeating: 0xFF, count: 32)) == .nonCanonical)
        // p and p + 1: aliases of 0 and 1.
        #expect(Ed25519Encoding.defect(ofPublicKey: Self.bytes("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")) == .nonCanonical)
        #expect(Ed25519Encoding.defect(ofPublicKey: Self.bytes("eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")) == .nonCanonical)
        #expect(Ed25519Encoding.defect(ofPublicKey: Array(Self.rfcKey.prefix(31))) == .wrongLength(31))
    }

    @Test func signaturesWithSAtOrAboveTheGroupOrderAreRefused() {
        let order = Self.bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var withOrder = Self.rfcSignature
        withOrder.replaceSubrange(32..<64, with: order)
        #expect(!Ed25519Encoding.isStrictSignature(withOrder))
        // S + L: the same signature in a second encoding, which lax verifiers accept.
        var plusOrder = Self.rfcSignature
        var carry = 0
        for index in 0..<32 {
            let sum = Int(plusOrder[32 + index]) + Int(order[index]) + carry
            plusOrder[32 + index] = UInt8(sum & 0xFF)
            carry = sum >> 8
        }
        #expect(!Ed25519Encoding.isStrictSignature(plusOrder))
        var belowOrder = withOrder
        belowOrder[32] -= 1
        #expect(Ed25519Encoding.isStrictSignature(belowOrder))
    }

    @Test func signaturesWithASmallOrderOrNonCanonicalRAreRefused() {
        for y in Self.smallOrderYs {
            #expect(!Ed25519Encoding.isStrictSignature(y + Array(Self.rfcSignature[32...])))
        }
        #expect(!Ed25519Encoding.isStrictSignature([UInt8](repeating: 0xFF, count: 32) + Array(Self.rfcSignature[32...])))
        #expect(!Ed25519Encoding.isStrictSignature(Array(Self.rfcSignature.prefix(63))))
    }
}
