import ColonioCore

/// Why a ``ColonioNode`` operation failed. Each case says what to do about it.
public enum ColonioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The node is not connected; call ``ColonioNode/connect(seed:network:token:)`` first.
    case notConnected
    /// The node is already connected; call ``ColonioNode/disconnect()`` before connecting again.
    case alreadyConnected
    /// Signing in to the seed failed (unreachable seed, unknown network, wrong token, ...).
    case seedFailed(String)
    /// The node could not start WebRTC (its engine, or the interfaces it was allowed to use).
    case linksUnavailable(String)
    /// No node with that ID is on the network.
    case unreachable
    /// No answer in time, after every retry; the peer may be overloaded or the ring repairing.
    case timeout
    /// The destination has no handler registered under that name.
    case noHandler(String)
    /// The destination's handler threw; its explanation is attached.
    case handlerFailed(String)
    /// The message exceeded the network's size limit.
    case messageTooLarge(size: Int, limit: Int)
    /// A handler name was empty or too long.
    case invalidName(String)
    /// The node disconnected before the operation finished.
    case networkClosed
    /// A position or circle lies outside the network's coordinate space.
    case invalidPosition(String)
    /// A pub/sub publication was invalid (topic or payload too large) or, with `requireReceiver`,
    /// no subscriber inside the circle received it.
    case publishFailed(String)
    /// With `requireReceiver`: no subscriber inside the circle received the message.
    case noReceiver
    /// A KVS put or delete found its condition unmet and changed nothing; `currentVersion` is the key's
    /// version then (`nil`: no value). Read the key and decide whether to try again.
    case conditionFailed(currentVersion: UInt64?)
    /// Too few replicas of the key answered: the KVS operation was certainly not applied; retry later.
    case unavailable
    /// A KVS key exceeds the network's limit of UTF-8 bytes.
    case keyTooLarge(limit: Int)
    /// A KVS value exceeds the network's limit of bytes.
    case valueTooLarge(limit: Int)
    /// The peer does not understand the message (different protocol version) or the ring is repairing.
    case deliveryFailed(String)

    public var description: String {
        switch self {
        case .notConnected: "the node is not connected: call connect(seed:network:token:) first"
        case .alreadyConnected: "the node is already connected: call disconnect() first"
        case .seedFailed(let why): "signing in to the seed failed: \(why)"
        case .linksUnavailable(let why):
            "could not start WebRTC: \(why); check ColonioNodeOptions.allowedInterfaces and that libwebrtc (libtgowt) loads"
        case .unreachable: "no node with that ID is on the network"
        case .timeout:
            // One case for requests and every KVS operation, so the text covers each: a get changed nothing.
            "no answer in time after every retry: the destination may be busy or unreachable, or the ring "
                + "repairing; retry later (a KVS get changed nothing; a KVS put or delete may have been applied: "
                + "read the key before retrying it)"
        case .noHandler(let name): "the destination has no handler named '\(name)': register it there with handle(_:handler:)"
        case .handlerFailed(let why): "the destination's handler failed: \(why)"
        case .messageTooLarge(let size, let limit): "message of \(size) bytes exceeds the network limit of \(limit)"
        case .invalidName(let name): "invalid handler name '\(name)': use 1 to 255 bytes of UTF-8"
        case .networkClosed: "the node disconnected before the operation finished"
        case .deliveryFailed(let why): "delivery failed: \(why)"
        case .invalidPosition(let why): "invalid position: \(why)"
        case .publishFailed(let why): "publish failed: \(why)"
        case .noReceiver: "no subscriber inside the circle received the message"
        case .conditionFailed(let version):
            "the condition did not hold (current version: \(version.map(String.init) ?? "none")); nothing changed"
        case .unavailable: "too few replicas of the key answered; nothing was applied: retry later"
        case .keyTooLarge(let limit): "the key exceeds the network limit of \(limit) bytes: use a shorter key"
        case .valueTooLarge(let limit): "the value exceeds the network limit of \(limit) bytes: store less"
        }
    }

    init(_ failure: RequestFailure, name: String) {
        switch failure {
        case .timeout: self = .timeout
        case .unreachable: self = .unreachable
        case .noHandler: self = .noHandler(name)
        case .hopLimitExceeded: self = .deliveryFailed("hop limit exceeded while the ring repairs; retry")
        case .messageTooLarge: self = .messageTooLarge(size: 0, limit: 0)
        case .unsupported: self = .deliveryFailed("the destination does not support this message")
        case .handlerFailed(let why): self = .handlerFailed(why)
        case .networkClosed: self = .networkClosed
        }
    }

    init(_ error: SpreadError) {
        switch error {
        case .noReceiver: self = .noReceiver
        case .networkClosed: self = .networkClosed
        case .invalidGeometry(let geometry): self = .invalidPosition(geometry.description)
        case .positionNotSet: self = .publishFailed("set this node's position with setPosition(_:) before publishing")
        default: self = .publishFailed(error.description)
        }
    }
}
