import NIOCore
import NIOPosix
import NIOSSL
import WSClient

/// What a failed connection to the seed means, in words that say what to check (not a dump of NIO's
/// error values).
enum SeedConnectionFailure {
    static func describe(_ error: any Error, endpoint: String) -> String {
        if let connection = error as? NIOConnectionError {
            if connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return "cannot resolve the host '\(connection.host)'"
            }
            let codes = connection.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
            if !codes.isEmpty, codes.allSatisfy({ $0 == ECONNREFUSED }) {
                return "nothing listens at \(connection.host):\(connection.port) (connection refused): start the seed or fix the port"
            }
            if let first = connection.connectionErrors.first {
                return "cannot reach \(connection.host):\(connection.port): \(short(first.error))"
            }
            return "cannot reach \(connection.host):\(connection.port)"
        }
        if let webSocket = error as? WebSocketClientError {
            if webSocket == .webSocketUpgradeFailed {
                return "the server at \(endpoint) did not accept a WebSocket there: is it a Colonio seed, and the network name right?"
            }
            if webSocket == .invalidURL { return "\(endpoint) is not a valid URL" }
        }
        if case .handshakeFailed(let reason)? = error as? NIOSSLError {
            return "the TLS handshake failed (\(reason)): is the seed serving TLS on that port? (else use ws://)"
        }
        if case .connectTimeout? = error as? ChannelError {
            return "no answer from the seed's address in time (connect timeout)"
        }
        return short(error)
    }

    /// An error's description without NIO's type names, at most one line.
    private static func short(_ error: any Error) -> String {
        if let io = error as? IOError { return io.description }
        let text = String(describing: error)
        return text.split(separator: "\n").first.map(String.init) ?? text
    }
}
