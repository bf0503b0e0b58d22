/// Why a spread publication was refused or failed.
public enum SpreadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The circle's centre or radius is not valid in the network's coordinate space.
    case invalidGeometry(GeometryError)
    /// The payload exceeds the network's ``SpreadSettings/maximumPayloadBytes``.
    case payloadTooLarge(size: Int, limit: Int)
    /// The topic exceeds ``SpreadPacket/maximumTopicBytes`` bytes of UTF-8.
    case topicTooLong(size: Int, limit: Int)
    /// This node has no position yet, so it is not part of the geo overlay.
    case positionNotSet
    /// "Require a receiver" was set and no other subscribing node inside the circle took the message.
    case noReceiver
    /// The node left the network while the message waited for a subscriber's receipt: it may or may
    /// not have reached one.
    case networkClosed

    public var description: String {
        switch self {
        case .invalidGeometry(let error): return "invalid circle: \(error.description)"
        case .payloadTooLarge(let size, let limit):
            return "payload of \(size) bytes exceeds the network's limit of \(limit) bytes; send less or raise the limit"
        case .topicTooLong(let size, let limit): return "topic of \(size) bytes exceeds \(limit) bytes; use a shorter topic"
        case .positionNotSet: return "set this node's position before publishing"
        case .noReceiver: return "no subscribing node inside the circle received the message"
        case .networkClosed:
            return "the node left the network before a subscriber confirmed the message; it may have been delivered"
        }
    }
}
