/// DTLS certificate fingerprints as they appear in SDP, found by bytes (no `Character` processing, so
/// the same code runs in the Embedded build).
public enum SDPFingerprint {
    private static let prefix = Array("a=fingerprint:".utf8)

    /// The value of the first `a=fingerprint:` line (e.g. `sha-256 AB:CD:...`) without surrounding
    /// spaces, or `nil` if absent.
    public static func extract(from sdp: String) -> String? {
        let bytes = Array(sdp.utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A && bytes[lineEnd] != 0x0D { lineEnd += 1 }
            if lineEnd - lineStart >= prefix.count && bytes[lineStart..<lineStart + prefix.count].elementsEqual(prefix) {
                var start = lineStart + prefix.count
                var end = lineEnd
                while start < end && bytes[start] == 0x20 { start += 1 }
                while end > start && bytes[end - 1] == 0x20 { end -= 1 }
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            lineStart = lineEnd + 1
        }
        return nil
    }
}
