import ColonioCore
import Crypto
import Foundation

/// Time-limited TURN credentials as coturn's `use-auth-secret` (TURN REST API) expects them.
///
/// coturn accepts user name `"<expiry unix seconds>:<anything>"` with password
/// `base64(HMAC-SHA1(static-auth-secret, username))` until the expiry; we put the node ID after the
/// colon so relayed traffic can be traced to a node.
public struct TURNCredentials: Equatable, Sendable {
    /// `"<expiry>:<nodeID hex>"`.
    public var username: String
    /// `base64(HMAC-SHA1(secret, username))`.
    public var password: String

    /// Derives credentials valid until `expiry` (Unix seconds) for `nodeID`.
    public init(secret: String, expiry: UInt64, nodeID: NodeID) {
        self.init(secret: secret, username: "\(expiry):\(nodeID.hex)")
    }

    /// Derives the password for an arbitrary REST user name.
    public init(secret: String, username: String) {
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Array(username.utf8), using: key)
        self.username = username
        self.password = Data(mac).base64EncodedString()
    }
}
