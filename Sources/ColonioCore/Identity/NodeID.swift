/// A position on Colonio's ring of 128-bit identifiers.
///
/// Node IDs are assigned by the seed; keys are hashed onto the same ring. Arithmetic wraps modulo
/// 2^128, so "distance" always means the clockwise distance from one ID to another.
public struct NodeID: Hashable, Comparable, Sendable {
    /// The identifier as an unsigned 128-bit integer.
    public var value: UInt128

    /// Creates an ID from its integer value.
    public init(_ value: UInt128) {
        self.value = value
    }

    /// Creates an ID from its two 64-bit halves, most significant first.
    public init(high: UInt64, low: UInt64) {
        self.value = UInt128(high) << 64 | UInt128(low)
    }

    /// The most significant 64 bits.
    public var high: UInt64 { UInt64(truncatingIfNeeded: value >> 64) }
    /// The least significant 64 bits.
    public var low: UInt64 { UInt64(truncatingIfNeeded: value) }

    /// The smallest ID, `00…0`.
    public static let zero = NodeID(0)
    /// The largest ID, `ff…f`.
    public static let max = NodeID(UInt128.max)

    /// A uniformly random ID drawn from `generator`.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> NodeID {
        NodeID(high: generator.next(), low: generator.next())
    }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.value < rhs.value }

    /// The clockwise distance from `self` to `other`: how far one walks up the ring, wrapping at 2^128.
    public func distance(to other: NodeID) -> UInt128 {
        other.value &- value
    }

    /// The ID `offset` steps clockwise from this one, wrapping at 2^128.
    public func advanced(by offset: UInt128) -> NodeID {
        NodeID(value &+ offset)
    }

    /// The ID `offset` steps counter-clockwise from this one, wrapping at 2^128.
    public func retreated(by offset: UInt128) -> NodeID {
        NodeID(value &- offset)
    }

    /// Whether `self` lies on the clockwise arc that starts just after `lower` and ends at `upper`
    /// (the half-open interval `(lower, upper]`). When `lower == upper` the arc is the whole ring.
    public func isBetween(_ lower: NodeID, andIncluding upper: NodeID) -> Bool {
        if lower == upper { return true }
        let span = lower.distance(to: upper)
        let offset = lower.distance(to: self)
        return offset != 0 && offset <= span
    }
}

// MARK: - Hexadecimal form

extension NodeID {
    /// The 32-digit lowercase hexadecimal form, most significant digit first.
    public var hex: String {
        var digits = [UInt8](repeating: 0, count: 32)
        var remaining = value
        for index in stride(from: 31, through: 0, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: remaining & 0xF)
            digits[index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
            remaining >>= 4
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Parses exactly 32 hexadecimal digits (either case); `nil` for anything else.
    public init?(hex: some StringProtocol) {
        var result: UInt128 = 0
        var count = 0
        for byte in hex.utf8 {
            let nibble: UInt8
            switch byte {
            case 0x30...0x39: nibble = byte - 0x30
            case 0x41...0x46: nibble = byte - 0x41 + 10
            case 0x61...0x66: nibble = byte - 0x61 + 10
            default: return nil
            }
            count += 1
            if count > 32 { return nil }
            result = result << 4 | UInt128(nibble)
        }
        guard count == 32 else { return nil }
        self.init(result)
    }
}

extension NodeID: CustomStringConvertible {
    /// The hexadecimal form.
    public var description: String { hex }
}
