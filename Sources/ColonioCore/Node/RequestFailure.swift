/// Why a request failed.
public enum RequestFailure: Error, Equatable, Sendable {
    /// No response after every retry; the destination may be overloaded or the ring repairing. Try later.
    case timeout
    /// No node with the destination ID is on the ring; check the ID.
    case unreachable
    /// The destination registered no handler under the name; register it there first.
    case noHandler
    /// The request travelled the hop limit without arriving; the ring is likely still repairing.
    case hopLimitExceeded
    /// The message exceeded the network's size limit; send less per message.
    case messageTooLarge
    /// The destination does not understand the request (a newer or different protocol version).
    case unsupported
    /// The destination's handler failed with this explanation.
    case handlerFailed(String)
    /// The node stopped before the response arrived.
    case networkClosed

    init(_ failure: DeliveryFailure) {
        switch failure.code {
        case .noHandler: self = .noHandler
        case .unreachable: self = .unreachable
        case .hopLimitExceeded: self = .hopLimitExceeded
        case .messageTooLarge: self = .messageTooLarge
        case .unsupported, .unknown: self = .unsupported
        case .handlerFailed: self = .handlerFailed(failure.detail)
        }
    }
}

/// How a request ended.
public enum RequestOutcome: Equatable, Sendable {
    /// The response's bytes.
    case response([UInt8])
    /// The request failed.
    case failure(RequestFailure)
}
