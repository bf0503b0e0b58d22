import ColonioCore
import ColonioSeed
import Crypto
import Foundation
import NIOCore
import NIOWebSocket

/// What one simulated node sends to sign in, encoded before timing: the HTTP upgrade request, the
/// `Sec-WebSocket-Accept` the seed must answer with, and the masked sign-in frame with the node's
/// own Ed25519 public key.
struct SeedLoadClientPlan: Sendable {
    /// The complete HTTP/1.1 upgrade request.
    var upgradeRequest: ByteBuffer
    /// The accept value RFC 6455 derives from the request's key.
    var expectedAccept: String
    /// `SeedFrame.signIn` as one masked binary WebSocket frame.
    var signIn: ByteBuffer

    /// The GUID RFC 6455 appends to the key before hashing it.
    private static let webSocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// A plan for a node with a fresh key that signs in to `network` with `token` at `host:port`.
    init(host: String, port: Int, network: String, token: String, allocator: ByteBufferAllocator) {
        let key = NIOWebSocketClientUpgrader.randomRequestKey()
        let path = SeedServer.endpointPath(network: network)
        upgradeRequest = allocator.buffer(
            string: "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n")
        expectedAccept = Data(Insecure.SHA1.hash(data: Data((key + Self.webSocketGUID).utf8))).base64EncodedString()
        let publicKey = Curve25519.Signing.PrivateKey().publicKey.rawRepresentation
        let request = SignInRequest(network: network, token: token, publicKey: Array(publicKey))
        signIn = WebSocketClientFrame.binary(SeedFrame.signIn(request).encoded(), allocator: allocator)
    }
}
