/// Why a WebRTC operation failed.
public enum WebRTCError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The session description could not be parsed or does not fit the link's state (e.g. an answer
    /// for a link that made no offer). The text says what libwebrtc rejected.
    case invalidSDP(String)
    /// The ICE candidate line could not be parsed or does not match the remote description.
    case invalidCandidate(String)
    /// The link is closed (locally, by the remote side, or because the connection failed).
    case closed
    /// libwebrtc failed for another reason, e.g. a malformed ICE server URL.
    case engineFailure(String)

    public var description: String {
        switch self {
        case .invalidSDP(let reason):
            "invalid SDP: \(reason). Pass the remote side's RTCSessionDescription.sdp text unchanged, "
                + "an offer to accept(offer:) and an answer to setAnswer(_:)."
        case .invalidCandidate(let reason):
            "invalid ICE candidate: \(reason). Pass the remote side's RFC 8839 candidate line "
                + "(\"candidate:...\") with its sdpMid and sdpMLineIndex unchanged."
        case .closed:
            "the link is closed; make a new link to reconnect"
        case .engineFailure(let reason):
            "WebRTC engine failure: \(reason)"
        }
    }
}
