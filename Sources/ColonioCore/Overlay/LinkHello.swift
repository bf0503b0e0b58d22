/// The first frame each side sends on a new overlay link: its certificate and a signature that binds
/// the certificate to this very DTLS session.
///
/// The signature covers both DTLS certificate fingerprints (from the two SDPs), so a hello cannot be
/// replayed on another connection, and a man in the middle (who must present its own DTLS certificate)
/// cannot reuse a genuine node's hello. Links whose hello fails verification are closed.
public struct LinkHello: Equatable, Sendable {
    /// The sender's certificate, issued by the network's seed.
    public var certificate: NodeCertificate
    /// Ed25519 signature by the certificate's key over ``signedBytes(network:senderFingerprint:receiverFingerprint:)``.
    public var signature: [UInt8]

    /// Creates a hello.
    public init(certificate: NodeCertificate, signature: [UInt8]) {
        self.certificate = certificate
        self.signature = signature
    }

    /// The bytes a sender signs: a context string, the network, the sender's DTLS fingerprint, then the
    /// receiver's (each as it appears after `a=fingerprint:` in the SDP).
    public static func signedBytes(network: String, senderFingerprint: String, receiverFingerprint: String) -> [UInt8] {
        var writer = WireWriter()
        writer.write(field: 1, string: "colonio-link-hello-v1")
        writer.write(field: 2, string: network)
        writer.write(field: 3, string: senderFingerprint)
        writer.write(field: 4, string: receiverFingerprint)
        return writer.bytes
    }
}

extension LinkHello: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var certificate: NodeCertificate?
        var signature: [UInt8] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: certificate = try reader.readMessage(field, limit: 4096)
            case 2: signature = try reader.readBytes(field, limit: 64)
            default: try reader.skip(field)
            }
        }
        guard let certificate else { throw .missingField(1) }
        guard signature.count == 64 else { throw .invalidValue(field: 2) }
        self.init(certificate: certificate, signature: signature)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: certificate)
        writer.write(field: 2, bytes: signature)
    }
}
