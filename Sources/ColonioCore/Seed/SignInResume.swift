/// A node's claim, in a ``SignInRequest``, to keep the ID it already holds: after its seed connection
/// dropped, or after the seed restarted with the same signing key.
///
/// The seed accepts it when ``certificate`` is its own, for this network, unexpired and for the
/// request's public key, ``challenge`` is the one the seed sent on this connection, and ``signature``
/// is the node's signature over ``signedBytes`` made within a few minutes of the seed's clock. The
/// challenge binds a claim to one connection: a copy replayed on another connection is refused. Certificates travel to every linked peer in link hellos; the
/// signature is what stops a peer from claiming another node's ID with a copied certificate.
public struct SignInResume: Equatable, Sendable {
    /// The node's current certificate.
    public var certificate: NodeCertificate
    /// When the node signed the claim, in Unix seconds.
    public var unixSeconds: UInt64
    /// The seed's ``SeedFrame/challenge(nonce:)`` of the connection the claim is made on.
    public var challenge: [UInt8]
    /// The node's Ed25519 signature over ``signedBytes`` (64 bytes).
    public var signature: [UInt8]

    /// Creates a claim; `signature` is empty until the node signs ``signedBytes``.
    public init(certificate: NodeCertificate, unixSeconds: UInt64, challenge: [UInt8], signature: [UInt8] = []) {
        self.certificate = certificate
        self.unixSeconds = unixSeconds
        self.challenge = challenge
        self.signature = signature
    }

    /// Prefix of ``signedBytes``, so that no other signature of the node's key can pass for a claim.
    public static let signatureDomain: [UInt8] = Array("colonio-sign-in-resume-v2".utf8) + [0]

    /// The exact bytes the node signs: ``signatureDomain``, then the network (field 1), the node ID
    /// (field 2), ``unixSeconds`` (field 3) and ``challenge`` (field 4) in the wire encoding.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(reservingCapacity: 128)
        writer.write(field: 1, string: certificate.network)
        writer.write(field: 2, nodeID: certificate.nodeID)
        writer.write(field: 3, uint64: unixSeconds)
        writer.write(field: 4, bytes: challenge)
        return SignInResume.signatureDomain + writer.bytes
    }
}

extension SignInResume: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var certificate: NodeCertificate?
        var unixSeconds: UInt64 = 0
        var signature: [UInt8] = []
        var challenge: [UInt8] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: certificate = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
            case 2: unixSeconds = try reader.readUInt64(field)
            case 3:
                signature = try reader.readBytes(field, limit: SeedLimits.signatureBytes)
                guard signature.count == SeedLimits.signatureBytes else { throw .invalidValue(field: 3) }
            case 4: challenge = try reader.readBytes(field, limit: SeedLimits.challengeBytes)
            default: try reader.skip(field)
            }
        }
        guard let certificate else { throw .missingField(1) }
        self.init(certificate: certificate, unixSeconds: unixSeconds, challenge: challenge, signature: signature)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: certificate)
        writer.write(field: 2, uint64: unixSeconds)
        if !challenge.isEmpty { writer.write(field: 4, bytes: challenge) }
        // Last: shells that sign a placeholder claim put the signature into the frame's last 64 bytes.
        if !signature.isEmpty { writer.write(field: 3, bytes: signature) }
    }
}
