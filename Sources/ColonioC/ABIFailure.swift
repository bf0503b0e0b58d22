import CColonio
import Colonio

/// Why an exported call failed: the status code it returns and the message the calling thread can read.
struct ABIFailure: Error {
    var status: colonio_status
    var message: String
    /// The key's current version for a KVS condition that failed (0: no value).
    var currentVersion: UInt64?

    static func invalidArgument(_ message: String) -> ABIFailure {
        ABIFailure(status: Status.invalidArgument, message: message)
    }

    static func invalidHandle(_ message: String) -> ABIFailure {
        ABIFailure(status: Status.invalidHandle, message: message)
    }

    static func internalError(_ message: String) -> ABIFailure {
        ABIFailure(status: Status.internalError, message: message)
    }

    /// Every case of the node's error has its own code, so that bindings can map them to their own types.
    init(_ error: ColonioError) {
        message = error.description
        switch error {
        case .notConnected: status = Status.notConnected
        case .alreadyConnected: status = Status.alreadyConnected
        case .seedFailed: status = Status.seedFailed
        case .linksUnavailable: status = Status.linksUnavailable
        case .unreachable: status = Status.unreachable
        case .timeout: status = Status.timeout
        case .noHandler: status = Status.noHandler
        case .handlerFailed: status = Status.handlerFailed
        case .messageTooLarge: status = Status.messageTooLarge
        case .invalidName: status = Status.invalidName
        case .networkClosed: status = Status.networkClosed
        case .invalidPosition: status = Status.invalidPosition
        case .publishFailed: status = Status.publishFailed
        case .noReceiver: status = Status.noReceiver
        case .conditionFailed(let version):
            status = Status.conditionFailed
            currentVersion = version ?? 0
        case .unavailable: status = Status.unavailable
        case .keyTooLarge: status = Status.keyTooLarge
        case .valueTooLarge: status = Status.valueTooLarge
        case .deliveryFailed: status = Status.deliveryFailed
        }
    }

    init(status: colonio_status, message: String) {
        self.status = status
        self.message = message
    }
}
