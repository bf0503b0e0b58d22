/// A trickled ICE candidate, as in `RTCIceCandidate`: browsers and native links exchange these fields
/// unchanged.
public struct ICECandidate: Sendable, Hashable {
    /// The RFC 8839 candidate line without the `a=` prefix, e.g.
    /// `candidate:228231264 1 udp 2122194687 127.0.0.1 38109 typ host generation 0`.
    public var candidate: String
    /// Media stream identification of the m-line the candidate belongs to.
    public var sdpMid: String?
    /// Index of that m-line in the SDP.
    public var sdpMLineIndex: Int32

    public init(candidate: String, sdpMid: String?, sdpMLineIndex: Int32) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
    }
}
