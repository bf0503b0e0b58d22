/// Strict encoding rules for Ed25519 public keys and signatures, checked before any signature
/// verification (RFC 8032 section 5.1.7, with the small-order rule libsodium applies).
///
/// Why: common Ed25519 libraries (BoringSSL under swift-crypto, WebCrypto) accept any 32 bytes as a
/// public key. With a key of small order, such as the identity point, `S·B = R + h·A` holds for
/// "signatures" made without any private key, so whoever holds a certificate for such a key can sign
/// anything. Keys are refused where they are accepted (the seed at sign-in, every link hello) and
/// signatures are refused unless canonical, so one message has one signature.
///
/// Pure byte comparisons, usable by the seed, the native node and the browser node (Embedded Swift).
/// Not checked: that a key decodes to a curve point at all; verification of such a key always fails.
public enum Ed25519Encoding {
    /// Why a public key is refused.
    public enum KeyDefect: Equatable, Sendable, CustomStringConvertible {
        /// Not 32 bytes.
        case wrongLength(Int)
        /// The y coordinate is not reduced modulo p = 2^255 - 19.
        case nonCanonical
        /// A point of order 1, 2, 4 or 8 (the identity among them): signatures need no private key.
        case smallOrder

        public var description: String {
            switch self {
            case .wrongLength(let count): "an Ed25519 public key is 32 bytes, not \(count)"
            case .nonCanonical: "the public key is not canonically encoded (y >= 2^255 - 19)"
            case .smallOrder: "the public key is a point of small order (such as the identity), which anyone can sign for"
            }
        }
    }

    /// Why `key` cannot be accepted as a node's public key, or `nil` if it can.
    public static func defect(ofPublicKey key: [UInt8]) -> KeyDefect? {
        guard key.count == 32 else { return .wrongLength(key.count) }
        guard isCanonicalPoint(key, from: 0) else { return .nonCanonical }
        guard !isSmallOrderPoint(key, from: 0) else { return .smallOrder }
        return nil
    }

    /// Whether `signature` is 64 bytes whose R is a canonical point not of small order and whose S is
    /// below the group order L (otherwise `S + L` would be a second valid signature).
    public static func isStrictSignature(_ signature: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        return isCanonicalPoint(signature, from: 0) && !isSmallOrderPoint(signature, from: 0)
            && isBelowGroupOrder(signature, from: 32)
    }

    /// p = 2^255 - 19, little-endian.
    private static let fieldPrime: [UInt8] = [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F]

    /// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    private static let groupOrder: [UInt8] = [
        0xED, 0xD3, 0xF5, 0x5C, 0x1A, 0x63, 0x12, 0x58, 0xD6, 0x9C, 0xF7, 0xA2, 0xDE, 0xF9, 0xDE, 0x14,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
    ]

    /// The y coordinates (sign bit clear) of the eight points of small order: 0 (order 4), 1 (the
    /// identity), p - 1 (order 2) and the two of order 8. Non-canonical aliases (p, p + 1) are refused
    /// as non-canonical first.
    private static let smallOrderYs: [[UInt8]] = [
        [UInt8](repeating: 0, count: 32),
        [0x01] + [UInt8](repeating: 0, count: 31),
        [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        [
            0x26, 0xE8, 0x95, 0x8F, 0xC2, 0xB2, 0x27, 0xB0, 0x45, 0xC3, 0xF4, 0x89, 0xF2, 0xEF, 0x98, 0xF0,
            0xD5, 0xDF, 0xAC, 0x05, 0xD3, 0xC6, 0x33, 0x39, 0xB1, 0x38, 0x02, 0x88, 0x6D, 0x53, 0xFC, 0x05,
        ],
        [
            0xC7, 0x17, 0x6A, 0x70, 0x3D, 0x4D, 0xD8, 0x4F, 0xBA, 0x3C, 0x0B, 0x76, 0x0D, 0x10, 0x67, 0x0F,
            0x2A, 0x20, 0x53, 0xFA, 0x2C, 0x39, 0xCC, 0xC6, 0x4E, 0xC7, 0xFD, 0x77, 0x92, 0xAC, 0x03, 0x7A,
        ],
    ]

    /// Whether the 32 bytes at `start`, sign bit cleared, encode a y below p.
    private static func isCanonicalPoint(_ bytes: [UInt8], from start: Int) -> Bool {
        var index = 31
        while index >= 0 {
            let byte = index == 31 ? bytes[start + index] & 0x7F : bytes[start + index]
            if byte != fieldPrime[index] { return byte < fieldPrime[index] }
            index -= 1
        }
        return false
    }

    private static func isSmallOrderPoint(_ bytes: [UInt8], from start: Int) -> Bool {
        for y in smallOrderYs {
            var equal = true
            for index in 0..<32 {
                let byte = index == 31 ? bytes[start + index] & 0x7F : bytes[start + index]
                if byte != y[index] {
                    equal = false
                    break
                }
            }
            if equal { return true }
        }
        return false
    }

    /// Whether the little-endian scalar of 32 bytes at `start` is below L.
    private static func isBelowGroupOrder(_ bytes: [UInt8], from start: Int) -> Bool {
        var index = 31
        while index >= 0 {
            if bytes[start + index] != groupOrder[index] { return bytes[start + index] < groupOrder[index] }
            index -= 1
        }
        return false
    }
}
