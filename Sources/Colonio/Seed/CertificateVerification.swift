import ColonioCore
import Crypto
import Foundation

/// Why a node certificate is not acceptable.
public enum CertificateVerificationError: Error, Equatable, CustomStringConvertible {
    /// The seed key is not a 32-byte Ed25519 public key.
    case badSeedKey
    /// The signature does not match: forged, tampered or signed by another seed.
    case badSignature
    /// The certificate belongs to another network.
    case wrongNetwork(expected: String, found: String)
    /// The certificate expired at `expiry` (Unix seconds).
    case expired(expiry: UInt64)

    public var description: String {
        switch self {
        case .badSeedKey: "the seed public key is not a 32-byte Ed25519 key"
        case .badSignature: "the certificate's signature is not the seed's; refuse the peer"
        case .wrongNetwork(let expected, let found): "the certificate is for network \"\(found)\", not \"\(expected)\""
        case .expired(let expiry): "the certificate expired at \(expiry) (Unix seconds); the peer must renew it"
        }
    }
}

extension NodeCertificate {
    /// Whether the signature is the seed's Ed25519 signature over ``signedBytes``.
    public func hasValidSignature(seedPublicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: seedPublicKey) else { return false }
        return key.isValidSignature(signature, for: signedBytes)
    }

    /// Checks signature, network and expiry, as a node does before trusting a peer.
    /// - Parameters:
    ///   - seedPublicKey: the seed's key from ``SeedSession/seedPublicKey``.
    ///   - network: the network the verifying node belongs to.
    ///   - nowUnixSeconds: the current time; defaults to the system clock.
    public func verify(
        seedPublicKey: [UInt8], network: String, nowUnixSeconds: UInt64 = ColonioClock.system.unixSeconds()
    ) throws(CertificateVerificationError) {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: seedPublicKey) else { throw .badSeedKey }
        guard key.isValidSignature(signature, for: signedBytes) else { throw .badSignature }
        guard self.network == network else { throw .wrongNetwork(expected: network, found: self.network) }
        guard isValid(atUnixSeconds: nowUnixSeconds) else { throw .expired(expiry: expiry) }
    }
}
