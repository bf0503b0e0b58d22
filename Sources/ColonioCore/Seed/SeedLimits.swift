/// Upper bounds the seed protocol's decoders enforce before allocating anything.
///
/// Both sides use the same numbers, so a frame one side accepts the other side can encode. A seed may
/// impose a smaller whole-frame limit on top of these (its configured maximum frame size).
public enum SeedLimits {
    /// Longest network name, in UTF-8 bytes.
    public static let networkNameBytes = 128
    /// Longest sign-in token, in UTF-8 bytes.
    public static let tokenBytes = 1024
    /// Length of an Ed25519 public key.
    public static let publicKeyBytes = 32
    /// Length of an Ed25519 signature.
    public static let signatureBytes = 64
    /// Bytes of the seed's challenge to each connection (``SeedFrame/challenge(nonce:)``).
    public static let challengeBytes = 16
    /// Longest SDP text in an offer or answer, in UTF-8 bytes.
    public static let sdpBytes = 64 * 1024
    /// Longest ICE candidate line, in UTF-8 bytes.
    public static let candidateBytes = 2048
    /// Longest media stream identification tag (`sdpMid`), in UTF-8 bytes.
    public static let sdpMidBytes = 256
    /// Longest error message, in UTF-8 bytes.
    public static let errorMessageBytes = 1024
    /// Most ICE servers in a network configuration.
    public static let iceServers = 16
    /// Most URLs per ICE server.
    public static let iceServerURLs = 16
    /// Longest ICE server URL, username or credential, in UTF-8 bytes.
    public static let iceServerFieldBytes = 1024
    /// Most bootstrap peers handed out at sign-in.
    public static let bootstrapPeers = 64
    /// Largest frame any seed protocol decoder accepts; seeds usually configure a smaller one.
    public static let frameBytes = 256 * 1024
    /// Largest nested message (configuration, certificate, payload) inside a frame.
    public static let nestedMessageBytes = 80 * 1024
}
