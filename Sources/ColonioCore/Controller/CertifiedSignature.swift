/// What checking a signature by a certified node takes: the seed's signature over the node's
/// certificate, and the certificate key's signature over the signed bytes (a link hello's DTLS
/// fingerprints, or a signal relayed over the overlay). The shell verifies both; it decides nothing else.
public struct CertifiedSignature: Equatable, Sendable {
    /// The seed's Ed25519 public key and its signature over ``certificateBytes``.
    public var seedPublicKey: [UInt8]
    public var certificateBytes: [UInt8]
    public var certificateSignature: [UInt8]
    /// The signer's Ed25519 public key (from its certificate) and its signature over ``signedBytes``.
    public var signerPublicKey: [UInt8]
    public var signedBytes: [UInt8]
    public var signature: [UInt8]

    public init(
        seedPublicKey: [UInt8], certificateBytes: [UInt8], certificateSignature: [UInt8], signerPublicKey: [UInt8],
        signedBytes: [UInt8], signature: [UInt8]
    ) {
        self.seedPublicKey = seedPublicKey
        self.certificateBytes = certificateBytes
        self.certificateSignature = certificateSignature
        self.signerPublicKey = signerPublicKey
        self.signedBytes = signedBytes
        self.signature = signature
    }

    /// Checks everything about `certificate` and `signature` that needs no signature verification (the
    /// network, the node, the expiry, the key and both signatures' encodings) and returns what the shell
    /// must verify.
    public static func checking(
        _ certificate: NodeCertificate, of node: NodeID, signature: [UInt8], over signedBytes: [UInt8],
        network: String, seedPublicKey: [UInt8], unixSeconds: UInt64
    ) throws(LinkRejection) -> CertifiedSignature {
        guard certificate.network.utf8.elementsEqual(network.utf8) else {
            throw .wrongNetwork(expected: network, found: certificate.network)
        }
        guard certificate.nodeID == node else { throw .wrongNode(expected: node, found: certificate.nodeID) }
        guard certificate.isValid(atUnixSeconds: unixSeconds) else { throw .expired(expiry: certificate.expiry) }
        // Before any signature check: with a small-order key, a "signature" needs no private key.
        if let defect = Ed25519Encoding.defect(ofPublicKey: certificate.publicKey) { throw .weakPublicKey(defect) }
        guard Ed25519Encoding.isStrictSignature(certificate.signature), Ed25519Encoding.isStrictSignature(signature)
        else { throw .badSignature }
        return CertifiedSignature(
            seedPublicKey: seedPublicKey, certificateBytes: certificate.signedBytes,
            certificateSignature: certificate.signature, signerPublicKey: certificate.publicKey,
            signedBytes: signedBytes, signature: signature)
    }
}
