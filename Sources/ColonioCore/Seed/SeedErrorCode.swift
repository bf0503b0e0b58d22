/// Stable numeric codes of the errors a seed reports; the numbers are part of the wire format.
///
/// A struct rather than an enum so that a client keeps working when a newer seed adds codes.
public struct SeedErrorCode: RawRepresentable, Hashable, Sendable {
    /// The number on the wire.
    public var rawValue: UInt32

    /// Creates a code from its number.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// The seed's configuration declares no network of that name (or the sign-in names another
    /// network than the endpoint). Check the network name.
    public static let unknownNetwork = SeedErrorCode(rawValue: 1)
    /// The token is not one of the network's sign-in secrets. Check the application's token.
    public static let badToken = SeedErrorCode(rawValue: 2)
    /// The frame could not be decoded as a seed frame. The client speaks another protocol version.
    public static let malformedFrame = SeedErrorCode(rawValue: 3)
    /// The frame exceeded the seed's maximum frame size.
    public static let frameTooLarge = SeedErrorCode(rawValue: 4)
    /// The connection sent more frames per second than the seed allows; the frame was dropped.
    public static let rateLimited = SeedErrorCode(rawValue: 5)
    /// The network already has its configured maximum number of nodes. Try again later.
    public static let networkFull = SeedErrorCode(rawValue: 6)
    /// The signal's destination is not a node signed in to this network (gone, or never there).
    public static let unknownPeer = SeedErrorCode(rawValue: 7)
    /// The frame needs a signed-in connection; sign in first.
    public static let notSignedIn = SeedErrorCode(rawValue: 8)
    /// The connection is already signed in; open a new connection for another identity.
    public static let alreadySignedIn = SeedErrorCode(rawValue: 9)
    /// The client sent a frame only a seed may send.
    public static let unexpectedFrame = SeedErrorCode(rawValue: 10)
    /// The public key is not a valid 32-byte Ed25519 key.
    public static let badPublicKey = SeedErrorCode(rawValue: 11)
    /// The seed failed internally; retry later.
    public static let internalError = SeedErrorCode(rawValue: 12)
    /// The sign-in's claim to an earlier ID was refused: the certificate is not this seed's, is for
    /// another network or key, has expired, or the claim's signature or time does not match. Sign in
    /// without it to get a new ID.
    public static let resumeRefused = SeedErrorCode(rawValue: 13)
    /// Too many failed sign-ins came from the client's address; the seed refuses its sign-ins for a
    /// while. Wait a minute, then sign in with a valid token.
    public static let signInRateLimited = SeedErrorCode(rawValue: 14)

    /// A short lowercase name for logs and metrics labels, e.g. `"bad_token"`.
    public var name: String {
        switch rawValue {
        case 1: "unknown_network"
        case 2: "bad_token"
        case 3: "malformed_frame"
        case 4: "frame_too_large"
        case 5: "rate_limited"
        case 6: "network_full"
        case 7: "unknown_peer"
        case 8: "not_signed_in"
        case 9: "already_signed_in"
        case 10: "unexpected_frame"
        case 11: "bad_public_key"
        case 12: "internal_error"
        case 13: "resume_refused"
        case 14: "sign_in_rate_limited"
        default: "code_\(rawValue)"
        }
    }
}

extension SeedErrorCode: CustomStringConvertible {
    /// The ``name``.
    public var description: String { name }
}
