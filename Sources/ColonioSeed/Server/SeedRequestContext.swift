import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The seed's request context: Hummingbird's WebSocket context plus the connection's channel, so
/// the seed can close a connection whose peer went silent without a task blocked on reading it.
public struct SeedRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The TCP connection.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        webSocket = WebSocketHandlerReference()
        channel = source.channel
    }
}
