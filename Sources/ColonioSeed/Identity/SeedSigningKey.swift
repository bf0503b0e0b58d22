import ColonioCore
import Crypto
import Foundation

/// The seed's Ed25519 identity: signs node certificates.
public struct SeedSigningKey: Sendable {
    /// The private key.
    public let privateKey: Curve25519.Signing.PrivateKey

    /// The 32-byte public key nodes verify certificates with.
    public var publicKeyBytes: [UInt8] { Array(privateKey.publicKey.rawRepresentation) }

    /// Wraps an existing key (tests, or keys from a secret store).
    public init(privateKey: Curve25519.Signing.PrivateKey = Curve25519.Signing.PrivateKey()) {
        self.privateKey = privateKey
    }

    /// Loads the key kept in `path` (32 raw bytes), or generates one and writes it there with mode
    /// 0600 when the file does not exist.
    public static func loadOrCreate(path: String) throws(SeedConfigurationError) -> SeedSigningKey {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .badKeyFile(path: path, reason: "\(error)")
            }
            do {
                return SeedSigningKey(privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: data))
            } catch {
                throw .badKeyFile(path: path, reason: "expected 32 bytes, found \(data.count)")
            }
        }
        let key = SeedSigningKey()
        let created = manager.createFile(
            atPath: path, contents: key.privateKey.rawRepresentation, attributes: [.posixPermissions: 0o600])
        guard created else { throw .badKeyFile(path: path, reason: "cannot create the file") }
        return key
    }

    /// Returns `certificate` with its signature set.
    public func sign(_ certificate: NodeCertificate) -> NodeCertificate {
        var signed = certificate
        // Ed25519 signing only fails for invalid keys, which `PrivateKey` cannot hold.
        signed.signature = Array((try? privateKey.signature(for: certificate.signedBytes)) ?? Data())
        return signed
    }
}
