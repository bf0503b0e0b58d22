/// The one-byte type that prefixes every frame on an overlay data channel.
enum LinkFrameType: UInt8 {
    /// A ``ColonioCore/LinkHello``: the first frame each side sends.
    case hello = 0
    /// An overlay packet for the node machine.
    case overlay = 1
}

/// DTLS certificate fingerprints as they appear in SDP.
enum SDPFingerprint {
    /// The value of the first `a=fingerprint:` line (e.g. `sha-256 AB:CD:...`), or `nil` if absent.
    static func extract(from sdp: String) -> String? {
        // `isNewline`: SDP lines end in "\r\n", which is one `Character`, equal to neither "\r" nor "\n".
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("a=fingerprint:") {
            return String(line.dropFirst("a=fingerprint:".count)).trimmingSpaces()
        }
        return nil
    }
}

private extension String {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
