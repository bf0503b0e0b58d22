import CColonio

/// The status codes of colonio.h (its anonymous enum), named once for the Swift side.
enum Status {
    static let ok: colonio_status = 0
    static let invalidArgument: colonio_status = 1
    static let invalidHandle: colonio_status = 2
    static let notConnected: colonio_status = 3
    static let alreadyConnected: colonio_status = 4
    static let seedFailed: colonio_status = 5
    static let linksUnavailable: colonio_status = 6
    static let unreachable: colonio_status = 7
    static let timeout: colonio_status = 8
    static let noHandler: colonio_status = 9
    static let handlerFailed: colonio_status = 10
    static let messageTooLarge: colonio_status = 11
    static let invalidName: colonio_status = 12
    static let networkClosed: colonio_status = 13
    static let invalidPosition: colonio_status = 14
    static let publishFailed: colonio_status = 15
    static let noReceiver: colonio_status = 16
    static let conditionFailed: colonio_status = 17
    static let unavailable: colonio_status = 18
    static let keyTooLarge: colonio_status = 19
    static let valueTooLarge: colonio_status = 20
    static let deliveryFailed: colonio_status = 21
    static let internalError: colonio_status = 99

    /// The header's constant names, returned by `colonio_status_name` as static C strings.
    static func name(_ status: colonio_status) -> StaticString {
        switch status {
        case ok: "COLONIO_OK"
        case invalidArgument: "COLONIO_ERR_INVALID_ARGUMENT"
        case invalidHandle: "COLONIO_ERR_INVALID_HANDLE"
        case notConnected: "COLONIO_ERR_NOT_CONNECTED"
        case alreadyConnected: "COLONIO_ERR_ALREADY_CONNECTED"
        case seedFailed: "COLONIO_ERR_SEED_FAILED"
        case linksUnavailable: "COLONIO_ERR_LINKS_UNAVAILABLE"
        case unreachable: "COLONIO_ERR_UNREACHABLE"
        case timeout: "COLONIO_ERR_TIMEOUT"
        case noHandler: "COLONIO_ERR_NO_HANDLER"
        case handlerFailed: "COLONIO_ERR_HANDLER_FAILED"
        case messageTooLarge: "COLONIO_ERR_MESSAGE_TOO_LARGE"
        case invalidName: "COLONIO_ERR_INVALID_NAME"
        case networkClosed: "COLONIO_ERR_NETWORK_CLOSED"
        case invalidPosition: "COLONIO_ERR_INVALID_POSITION"
        case publishFailed: "COLONIO_ERR_PUBLISH_FAILED"
        case noReceiver: "COLONIO_ERR_NO_RECEIVER"
        case conditionFailed: "COLONIO_ERR_CONDITION_FAILED"
        case unavailable: "COLONIO_ERR_UNAVAILABLE"
        case keyTooLarge: "COLONIO_ERR_KEY_TOO_LARGE"
        case valueTooLarge: "COLONIO_ERR_VALUE_TOO_LARGE"
        case deliveryFailed: "COLONIO_ERR_DELIVERY_FAILED"
        case internalError: "COLONIO_ERR_INTERNAL"
        default: "COLONIO_ERR_UNKNOWN"
        }
    }
}
