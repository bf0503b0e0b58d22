import NIOCore
import NIOSSL

/// Sits right after the TLS handler: counts and logs failed handshakes (a client that does not trust
/// the certificate, or speaks plain HTTP to a TLS port) and keeps TLS errors from the HTTP handlers.
/// The TLS handler closes the connection itself.
final class SeedTLSErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let seed: SeedContext
    private let address: String

    init(seed: SeedContext, address: String) {
        self.seed = seed
        self.address = address
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case NIOSSLError.handshakeFailed(let reason):
            seed.metrics.closedConnection(reason: "tls_handshake_failed")
            seed.logRefusal(
                "TLS handshake failed", metadata: ["address": "\(address)", "reason": "\(reason)"])
            context.close(promise: nil)
        case is NIOSSLError, is BoringSSLError:
            // Unclean shutdowns and the like: the client went away.
            seed.logger.debug("TLS error", metadata: ["address": "\(address)", "error": "\(error)"])
            context.close(promise: nil)
        default:
            context.fireErrorCaught(error)
        }
    }
}
