/// Which protocol a message belongs to; requests are answered on the channel they arrived on.
public enum MessageChannel: Equatable, Sendable {
    /// Application messages (named handlers).
    case application
    /// Geo routing/spread (opaque to the node machine).
    case spread
    /// The key-value store (opaque to the node machine).
    case kvs
}

/// The sub-protocols whose bytes the node machine routes without decoding them.
public enum OpaqueChannel: Equatable, Sendable {
    /// Geo routing/spread.
    case spread
    /// The key-value store.
    case kvs

    var messageChannel: MessageChannel {
        switch self {
        case .spread: .spread
        case .kvs: .kvs
        }
    }
}
