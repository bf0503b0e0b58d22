/// Why a seed configuration could not be used; the message says what to fix.
public enum SeedConfigurationError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The file is not valid JSON of the expected shape.
    case invalidJSON(reason: String)
    /// A value breaks a rule.
    case invalid(String)
    /// The key file exists but does not hold a 32-byte Ed25519 private key.
    case badKeyFile(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "cannot read seed configuration \(path): \(reason)"
        case .invalidJSON(let reason): "seed configuration is not valid JSON of the expected shape: \(reason)"
        case .invalid(let message): "seed configuration: \(message)"
        case .badKeyFile(let path, let reason):
            "seed key file \(path) is unusable (\(reason)); restore it or delete it to generate a new key"
        }
    }
}
