/// A key of the store, identified by its exact UTF-8 bytes.
///
/// Swift's `String` equality treats canonically equivalent text (e.g. a precomposed "é" and "e" with a
/// combining accent) as equal, but their bytes differ and so would their ring positions. Keys therefore
/// compare and hash by bytes, which also keeps Unicode normalisation tables out of the WebAssembly build.
public struct KVSKey: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The key's UTF-8 bytes.
    public let utf8: [UInt8]

    /// The key whose UTF-8 encoding is that of `string`, unnormalised.
    public init(_ string: String) {
        utf8 = Array(string.utf8)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// The key as text.
    public var description: String { String(decoding: utf8, as: UTF8.self) }

    public static func < (lhs: KVSKey, rhs: KVSKey) -> Bool {
        lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }
}
