import ColonioCore

/// Why a seed connection or request failed; the description says what to do.
public enum SeedClientError: Error, Equatable, CustomStringConvertible {
    /// The URL is not a `ws://` or `wss://` URL.
    case invalidURL(String)
    /// The TCP/WebSocket connection could not be established or broke.
    case connectionFailed(String)
    /// The seed refused the request with a typed error (bad token, unknown network, network full...).
    case rejected(SeedErrorMessage)
    /// The seed did not answer in time.
    case timedOut
    /// The connection is closed; connect again.
    case closed
    /// The seed sent something this client cannot understand.
    case protocolViolation(String)
    /// A `wss://` seed's certificate was not accepted (unknown authority, expired, another host name).
    case untrustedCertificate(String)
    /// A `wss://` URL names the seed by an IP address; TLS needs the host name its certificate names.
    case hostNameRequired(String)
    /// ``SeedClient/Options/trustedCAFile`` cannot be read or holds no PEM certificate.
    case unusableTrustedCAFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "\(url) is not a ws:// or wss:// seed URL"
        case .connectionFailed(let reason): "cannot connect to the seed: \(reason)"
        case .rejected(let error): "the seed refused the request (\(error.code.name)): \(error.message)"
        case .timedOut: "the seed did not answer in time; check the network or raise the timeout"
        case .closed: "the seed connection is closed; connect again"
        case .protocolViolation(let reason): "the seed sent an invalid frame (\(reason)); client and seed versions differ"
        case .untrustedCertificate(let reason):
            "the seed's TLS certificate was not accepted: \(reason); if the seed's certificate comes from an "
                + "authority of your own, trust its CA certificate (SeedClient.Options.trustedCAFile, "
                + "ColonioNodeOptions.seedCAFile, colonio node --seed-ca FILE), else fix the seed's certificate"
        case .hostNameRequired(let url):
            "\(url) names the seed by an IP address: a wss:// URL needs the host name in the seed's certificate "
                + "(such as localhost)"
        case .unusableTrustedCAFile(let path, let reason):
            "cannot use \(path) as trusted CA certificates (\(reason)); pass a PEM file of CA certificates "
                + "(-----BEGIN CERTIFICATE-----)"
        }
    }
}
