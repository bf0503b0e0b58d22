import ColonioCore

/// Why the seed load generator stopped: any of these fails the benchmark, since figures from a run
/// in which a client was refused or lost would not measure what they claim.
enum SeedLoadError: Error, CustomStringConvertible {
    /// The seed did not answer the WebSocket upgrade with a valid `101 Switching Protocols`.
    case upgradeRefused(client: Int, String)
    /// The seed answered a client's frame with an error frame.
    case refused(client: Int, SeedErrorMessage)
    /// The seed sent something a signed-in client does not expect (a text frame, a wrong sender, ...).
    case unexpected(client: Int, String)
    /// A connection failed or closed while the benchmark still needed it.
    case connectionLost(client: Int, String)
    /// A phase did not finish in time.
    case timedOut(String)

    var description: String {
        switch self {
        case .upgradeRefused(let client, let reason): "client \(client): WebSocket upgrade refused: \(reason)"
        case .refused(let client, let error): "client \(client): the seed refused a frame: \(error.code.name): \(error.message)"
        case .unexpected(let client, let reason): "client \(client): unexpected from the seed: \(reason)"
        case .connectionLost(let client, let reason): "client \(client): connection lost: \(reason)"
        case .timedOut(let reason): "timed out: \(reason)"
        }
    }
}
