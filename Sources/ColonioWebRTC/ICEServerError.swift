/// A STUN or TURN server that failed for a link while gathering candidates, as in
/// `RTCPeerConnectionIceErrorEvent`; e.g. code 401 when a TURN server refuses the credential.
public struct ICEServerError: Sendable, Hashable, CustomStringConvertible {
    /// The server's URL, e.g. `turn:turn.example.org:3478?transport=udp`.
    public var url: String
    /// The STUN error code (401 unauthorized, 403 forbidden, ...), or 701 when the server did not answer.
    public var code: Int
    /// The server's reason phrase, or libwebrtc's explanation.
    public var reason: String

    public init(url: String, code: Int, reason: String) {
        self.url = url
        self.code = code
        self.reason = reason
    }

    /// `"<url>: <code> <reason>"`.
    public var description: String { "\(url): \(code) \(reason)" }
}
