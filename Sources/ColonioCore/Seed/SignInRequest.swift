/// A client's request to join a network: the first frame on a seed connection.
public struct SignInRequest: Equatable, Sendable {
    /// The network to join.
    public var network: String
    /// One of the network's sign-in secrets.
    public var token: String
    /// The node's Ed25519 public key (32 bytes); the certificate binds it to the assigned ID.
    public var publicKey: [UInt8]
    /// Set to keep the ID of an earlier sign-in instead of being given a new one.
    public var resume: SignInResume?

    /// Creates a request.
    public init(network: String, token: String, publicKey: [UInt8], resume: SignInResume? = nil) {
        self.network = network
        self.token = token
        self.publicKey = publicKey
        self.resume = resume
    }
}

extension SignInRequest: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(network: "", token: "", publicKey: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: network = try reader.readString(field, limit: SeedLimits.networkNameBytes)
            case 2: token = try reader.readString(field, limit: SeedLimits.tokenBytes)
            // Length is checked by the seed so a wrong key gets its own error code.
            case 3: publicKey = try reader.readBytes(field, limit: SeedLimits.publicKeyBytes)
            case 4: resume = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, string: network)
        writer.write(field: 2, string: token)
        writer.write(field: 3, bytes: publicKey)
        if let resume { writer.write(field: 4, message: resume) }
    }
}
