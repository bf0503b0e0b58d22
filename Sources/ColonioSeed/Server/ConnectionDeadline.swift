import NIOWebSocket

/// A deadline a connection can miss, which makes the seed close it.
enum ConnectionDeadline: Sendable, CaseIterable {
    /// An upgraded WebSocket did not sign in in time (`limits.signInTimeoutMilliseconds`).
    case signIn
    /// An HTTP request did not arrive completely in time (`limits.requestTimeoutMilliseconds`).
    case request
    /// The connection was silent for `limits.keepaliveTimeoutMilliseconds`.
    case keepalive

    /// The label of the `colonio_seed_closed_connections_total` metric.
    var metricReason: String {
        switch self {
        case .signIn: "sign_in_deadline"
        case .request: "request_deadline"
        case .keepalive: "keepalive_lapsed"
        }
    }

    /// The WebSocket close code and reason the client gets.
    var closeCode: WebSocketErrorCode {
        switch self {
        case .signIn, .request: .policyViolation
        case .keepalive: .goingAway
        }
    }

    var closeReason: String {
        switch self {
        case .signIn: "sign-in deadline passed; send signIn right after connecting"
        case .request: "request not complete in time"
        case .keepalive: "keepalive lapsed"
        }
    }
}
