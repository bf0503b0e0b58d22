import ColonioCore
import ColonioWebRTC

extension ICEServer {
    /// The WebRTC form of an ICE server the seed handed out (empty strings there mean "none").
    init(_ configuration: ICEServerConfiguration) {
        self.init(
            urls: configuration.urls, username: configuration.username.isEmpty ? nil : configuration.username,
            credential: configuration.credential.isEmpty ? nil : configuration.credential)
    }
}
