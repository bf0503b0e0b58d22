/// Where the seed's TLS certificate and key live; with it the seed serves `https://` and `wss://` only.
///
/// JSON: `"tls": {"certificateChain": "fullchain.pem", "privateKey": "privkey.pem"}`. `colonio seed`
/// resolves relative paths against the configuration file's folder.
public struct SeedTLSConfiguration: Sendable, Equatable {
    /// PEM file of the seed's certificate followed by its intermediates (a Let's Encrypt
    /// `fullchain.pem`, for example).
    public var certificateChainFile: String
    /// PEM file of the certificate's private key (unencrypted: PKCS #8, RSA or EC).
    public var privateKeyFile: String

    /// Creates a TLS configuration.
    public init(certificateChainFile: String, privateKeyFile: String) {
        self.certificateChainFile = certificateChainFile
        self.privateKeyFile = privateKeyFile
    }

    func validate() throws(SeedConfigurationError) {
        guard !certificateChainFile.isEmpty, !privateKeyFile.isEmpty else {
            throw .invalid("tls needs both \"certificateChain\" and \"privateKey\" (paths of PEM files)")
        }
    }
}

extension SeedTLSConfiguration: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        guard let chain: String = try container.optional("certificateChain"),
            let key: String = try container.optional("privateKey")
        else {
            throw SeedConfigurationError.invalid(
                "tls needs both \"certificateChain\" and \"privateKey\" (paths of PEM files)")
        }
        self.init(certificateChainFile: chain, privateKeyFile: key)
    }
}
