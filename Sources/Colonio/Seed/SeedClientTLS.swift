import Foundation
import NIOCore
import NIOSSL

/// TLS for `wss://` seeds: the trust roots, and certificate failures told apart from other ones.
enum SeedClientTLS {
    /// The client configuration for `url`: the system's roots, plus the options' CA file.
    static func configuration(url: String, options: SeedClient.Options) throws(SeedClientError) -> TLSConfiguration {
        // The certificate is checked against the host name, which is also sent as SNI; NIOSSL sends no
        // IP address there, so a `wss://` URL must name the seed by a host name.
        if let host = URL(string: url)?.host,
            (try? SocketAddress(ipAddress: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: 0)) != nil
        {
            throw .hostNameRequired(url)
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        // Closing waits this long at most for the seed's close_notify (NIOSSL's default is 5 s; a node's
        // disconnect waited that long): nothing depends on it, the WebSocket has closed by then.
        tls.shutdownTimeout = .milliseconds(500)
        if let path = options.trustedCAFile {
            let bytes: Data
            do {
                bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .unusableTrustedCAFile(path: path, reason: (error as NSError).localizedDescription)
            }
            let authorities: [NIOSSLCertificate]
            do {
                authorities = try NIOSSLCertificate.fromPEMBytes(Array(bytes))
            } catch {
                throw .unusableTrustedCAFile(path: path, reason: "\(error)")
            }
            guard !authorities.isEmpty else { throw .unusableTrustedCAFile(path: path, reason: "no certificate in it") }
            tls.additionalTrustRoots = [.certificates(authorities)]
        }
        return tls
    }

    /// What was wrong with the seed's certificate, when `error` is a failed certificate check.
    static func certificateFailure(_ error: any Error, endpoint: String) -> String? {
        switch error {
        case NIOSSLError.handshakeFailed(let reason) where "\(reason)".contains("CERTIFICATE_VERIFY_FAILED"):
            let host = URL(string: endpoint)?.host ?? endpoint
            return "it is not signed by an authority this node trusts, has expired, or does not name \(host)"
        case let extra as NIOSSLExtraError where extra == .failedToValidateHostname:
            return "it does not name \(URL(string: endpoint)?.host ?? endpoint)"
        default:
            return nil
        }
    }
}
