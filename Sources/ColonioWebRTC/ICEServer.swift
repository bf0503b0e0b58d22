/// A STUN or TURN server, as in `RTCIceServer`.
public struct ICEServer: Sendable, Hashable {
    /// `stun:`, `turn:` or `turns:` URLs, e.g. `turn:turn.example.org:3478?transport=udp`.
    public var urls: [String]
    /// TURN user name; coturn's REST credentials use `"<expiry>:<name>"`.
    public var username: String?
    /// TURN password.
    public var credential: String?

    public init(urls: [String], username: String? = nil, credential: String? = nil) {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}
