import Foundation
import NIOCore
import NIOSSL
import Synchronization

/// The seed's TLS certificate and key, read from PEM files and reloadable while the seed runs.
///
/// A ``SeedServer`` given one serves `https://` and `wss://` only. ``reload(now:)`` reads the files again;
/// connections accepted afterwards use the new certificate, open ones keep theirs. A reload that fails
/// keeps the certificate in use. `colonio seed` reloads on `SIGHUP` (after a renewal such as certbot's).
public final class SeedTLS: Sendable {
    /// Where the certificate chain and key are read from.
    public let configuration: SeedTLSConfiguration

    private struct Loaded: Sendable {
        var context: NIOSSLContext
        var expiry: Int
    }

    private let loaded: Mutex<Loaded>

    /// Reads and checks the certificate chain and key.
    /// - Throws: ``SeedTLSError`` when a file is missing, unreadable, not PEM, expired, or the key does
    ///   not belong to the certificate.
    public init(configuration: SeedTLSConfiguration, now: Date = Date()) throws(SeedTLSError) {
        self.configuration = configuration
        self.loaded = Mutex(try Self.load(configuration, now: now))
    }

    /// Reads the files again; new connections use the new certificate. On failure the current
    /// certificate stays in use and the error says what is wrong with the new files.
    public func reload(now: Date = Date()) throws(SeedTLSError) {
        let fresh = try Self.load(configuration, now: now)
        loaded.withLock { $0 = fresh }
    }

    /// When the certificate in use expires, in Unix seconds.
    public var certificateExpiry: Int { loaded.withLock { $0.expiry } }

    /// The TLS context new connections are served with.
    var context: NIOSSLContext { loaded.withLock { $0.context } }

    private static func load(_ configuration: SeedTLSConfiguration, now: Date) throws(SeedTLSError) -> Loaded {
        let chainPath = configuration.certificateChainFile
        let keyPath = configuration.privateKeyFile
        let chainBytes = try read(chainPath, role: .certificateChain)
        let keyBytes = try read(keyPath, role: .privateKey)
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(chainBytes)
        } catch {
            throw .badCertificate(path: chainPath, reason: "\(error)")
        }
        guard let leaf = chain.first else { throw .badCertificate(path: chainPath, reason: "no PEM certificate in it") }
        let expiry = Int(leaf.notValidAfter)
        guard expiry > Int(now.timeIntervalSince1970) else { throw .expired(path: chainPath, unixSeconds: expiry) }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw .badPrivateKey(path: keyPath, reason: "\(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        tls.applicationProtocols = ["http/1.1"]
        // A client that stops answering during the closing handshake does not hold the socket long.
        tls.shutdownTimeout = .seconds(2)
        do {
            // BoringSSL refuses a key whose public half is not the certificate's.
            return Loaded(context: try NIOSSLContext(configuration: tls), expiry: expiry)
        } catch {
            throw .keyMismatch(certificatePath: chainPath, keyPath: keyPath, reason: "\(error)")
        }
    }

    private static func read(_ path: String, role: SeedTLSError.Role) throws(SeedTLSError) -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(role, path: path) }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .unreadableFile(role, path: path, reason: (error as NSError).localizedDescription)
        }
    }
}

/// Why the seed's TLS certificate or key cannot be used; the message says what to fix.
public enum SeedTLSError: Error, Equatable, CustomStringConvertible {
    /// Which of the two files.
    public enum Role: Sendable, Equatable {
        case certificateChain
        case privateKey

        var key: String {
            switch self {
            case .certificateChain: "tls.certificateChain"
            case .privateKey: "tls.privateKey"
            }
        }
    }

    /// No file at the path.
    case missingFile(Role, path: String)
    /// The file exists but cannot be read (permissions, a folder).
    case unreadableFile(Role, path: String, reason: String)
    /// The chain file holds no PEM certificate, or one that cannot be parsed.
    case badCertificate(path: String, reason: String)
    /// The key file holds no unencrypted PEM private key.
    case badPrivateKey(path: String, reason: String)
    /// The seed's certificate (the first of the chain) has expired.
    case expired(path: String, unixSeconds: Int)
    /// The key does not belong to the certificate (or cannot be used with it).
    case keyMismatch(certificatePath: String, keyPath: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let role, let path):
            "no file at \(path) (\(role.key)); point \(role.key) at an existing PEM file"
        case .unreadableFile(let role, let path, let reason):
            "cannot read \(path) (\(role.key)): \(reason); let the user running the seed read it"
        case .badCertificate(let path, let reason):
            "\(path) (tls.certificateChain) holds no usable PEM certificate (\(reason)); it must start with "
                + "-----BEGIN CERTIFICATE-----, the seed's certificate first, then its intermediates"
        case .badPrivateKey(let path, let reason):
            "\(path) (tls.privateKey) holds no usable PEM private key (\(reason)); an encrypted key is not "
                + "supported: decrypt it with `openssl pkey -in key.pem -out key-plain.pem`"
        case .expired(let path, let unixSeconds):
            "the certificate in \(path) expired at \(unixSeconds) (Unix seconds); renew it, then reload or restart the seed"
        case .keyMismatch(let certificatePath, let keyPath, let reason):
            "the private key in \(keyPath) does not belong to the certificate in \(certificatePath) (\(reason)); "
                + "point tls.privateKey at the key the certificate was issued for"
        }
    }
}
