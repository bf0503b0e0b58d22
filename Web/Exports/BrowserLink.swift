/// One WebRTC link of the browser node, from the first signal until it closes; the peer connection itself
/// lives in JavaScript under the same peer and session.
struct BrowserLink {
    let peer: NodeID
    /// The signaling session; signals and events of other sessions are ignored.
    let sessionID: UInt64
    let isOfferer: Bool
    /// Whether signals go through the seed (else through the overlay), as decided when the link started.
    let signalsViaSeed: Bool
    var localFingerprint: String?
    var remoteFingerprint: String?
    /// This side's offer and the candidates signaled after it (at most ``maximumRepeatedCandidates``), to repeat them if the peer
    /// offers too: it evidently never got them.
    var localOffer: String?
    var sentCandidates: [SignalPayload] = []
    static let maximumRepeatedCandidates = 32
    var helloSent = false
    /// Set once the peer's hello verified; only then does the node machine know the link.
    var isAuthenticated = false
    /// The peer's hello is being verified by the shell.
    var isVerifying = false
}

/// DTLS certificate fingerprints as they appear in SDP, found by bytes (no `Character` processing in
/// the Embedded build).
enum SDPFingerprintBytes {
    private static let prefix = Array("a=fingerprint:".utf8)

    /// The value of the first `a=fingerprint:` line without surrounding spaces, or `nil` if absent.
    static func extract(from sdp: String) -> String? {
        let bytes = Array(sdp.utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A && bytes[lineEnd] != 0x0D { lineEnd += 1 }
            if lineEnd - lineStart >= prefix.count && Array(bytes[lineStart..<lineStart + prefix.count]) == prefix {
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
