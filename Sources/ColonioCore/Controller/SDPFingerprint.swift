/// The DTLS certificate fingerprint of an SDP, found by bytes (no `Character` processing, so the same
/// code runs in the Embedded build).
///
/// The link hello signs the fingerprint, so it must be the one the WebRTC engine checks the peer's DTLS
/// certificate against. With several `a=fingerprint` lines libwebrtc does not use the first (a media-level
/// line overrides the session-level one, the last media-level line wins): whoever relays signaling could
/// add its own and sit in the middle of a link whose hello signs another. Our peers describe one data
/// channel with one certificate, so a description is taken only with exactly one well-formed line.
public enum SDPFingerprint {
    private static let prefix = Array("a=fingerprint:".utf8)

    /// The value of the description's only `a=fingerprint:` line (e.g. `sha-256 AB:CD:...`), without
    /// surrounding spaces, exactly as signed by the hello.
    ///
    /// Lines end at LF (an optional CR before it is dropped), as libwebrtc splits them; a CR anywhere
    /// else is refused, as a line that hides behind it would be read differently by the engine.
    public static func only(in sdp: String) throws(SDPFingerprintError) -> String {
        let bytes = Array(sdp.utf8)
        var found: String?
        var count = 0
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            let next = lineEnd + 1
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if bytes[lineStart..<lineEnd].contains(0x0D) { throw .strayCarriageReturn }
            if lineEnd - lineStart >= prefix.count && bytes[lineStart..<lineStart + prefix.count].elementsEqual(prefix) {
                count += 1
                if count == 1 { found = try value(bytes[lineStart + prefix.count..<lineEnd]) }
            }
            lineStart = next
        }
        guard count <= 1 else { throw .several(count) }
        guard let found else { throw .missing }
        return found
    }

    /// `hash-func SP fingerprint` (RFC 8122): a token, one space, then uppercase or lowercase hex pairs
    /// joined by colons. Spaces around it are tolerated (and not part of the value).
    private static func value(_ line: ArraySlice<UInt8>) throws(SDPFingerprintError) -> String {
        var start = line.startIndex
        var end = line.endIndex
        while start < end && line[start] == 0x20 { start += 1 }
        while end > start && line[end - 1] == 0x20 { end -= 1 }
        var index = start
        while index < end && isTokenByte(line[index]) { index += 1 }
        guard index > start, index < end, line[index] == 0x20 else { throw .malformed }
        index += 1
        // At least one pair, then ":" and a pair as often as they come.
        while true {
            guard index + 2 <= end, isHex(line[index]), isHex(line[index + 1]) else { throw .malformed }
            index += 2
            if index == end { break }
            guard line[index] == 0x3A else { throw .malformed }
            index += 1
        }
        return String(decoding: line[start..<end], as: UTF8.self)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
    }
}

/// Why a description's fingerprint cannot be the one a hello signs.
public enum SDPFingerprintError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `a=fingerprint` line: DTLS could not be bound to a certificate.
    case missing
    /// More than one line: the engine may use one the hello does not sign.
    case several(Int)
    /// Not `hash-func SP XX:XX:...`.
    case malformed
    /// A CR not ending a line: the engine and this parser could split the lines differently.
    case strayCarriageReturn

    public var description: String {
        switch self {
        case .missing: "no a=fingerprint line"
        case .several(let count): "\(count) a=fingerprint lines (exactly one is allowed)"
        case .malformed: "a malformed a=fingerprint line"
        case .strayCarriageReturn: "a CR inside a line"
        }
    }
}
