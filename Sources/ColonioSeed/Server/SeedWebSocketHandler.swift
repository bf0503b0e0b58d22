import ColonioCore
import Logging
import NIOCore
import NIOWebSocket

/// One upgraded connection's WebSocket protocol: control frames, the close handshake and refused
/// message kinds; complete binary messages go to its ``SeedConnectionHandler``.
///
/// A channel handler instead of a Swift task per connection: a task keeps the deepest async stack it
/// ever used, which made up most of the seed's memory per connected node. Here a connection costs
/// its channel, pipeline and this handler's few fields, and every frame is handled synchronously on
/// the connection's event loop.
///
/// Sits behind NIO's frame decoder, protocol error handler (malformed or oversized frames: close
/// 1002/1009) and ``NIOWebSocketFrameAggregator`` (fragmented messages, bounded in size and count).
final class SeedWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let seed: SeedContext
    private let connection: SeedConnectionHandler
    private let logger: Logger
    /// An asynchronous registry call is in flight; messages wait in ``queued`` and reading is paused.
    private var awaitingRegistry = false
    /// Messages that arrived with a registry call in flight. Bounded: reading stops meanwhile, so at
    /// most what one socket read already decoded waits here.
    private var queued: [SeedConnectionHandler.Message] = []
    /// A close frame has been sent; the connection is ending and further data is ignored.
    private var closing = false
    /// Whether this connection is counted in the connections gauge; a client that left during the
    /// upgrade is never counted, since its `channelInactive` fired before this handler was added.
    private var counted = false

    init(seed: SeedContext, connection: SeedConnectionHandler, logger: Logger) {
        self.seed = seed
        self.connection = connection
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connection.mailbox.upgraded(
            signInDeadline: seed.now() + Int64(seed.configuration.limits.signInTimeoutMilliseconds))
        guard context.channel.isActive else { return }
        connection.greet()
        counted = true
        seed.metrics.connectionOpened()
    }

    func channelInactive(context: ChannelHandlerContext) {
        queued.removeAll()
        connection.connectionClosed()
        if counted {
            counted = false
            seed.metrics.connectionClosed()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            guard !closing else { return }
            handle(.binary(frame.unmaskedData), context: context)
        case .text:
            guard !closing else { return }
            handle(.text, context: context)
        case .ping:
            guard !closing else { return }
            connection.mailbox.touch(now: seed.now())
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            connection.mailbox.touch(now: seed.now())
        case .connectionClose:
            receivedClose(frame, context: context)
        default:
            // Continuations never arrive (the aggregator joins them); anything else is a reserved opcode.
            sendClose(code: .protocolError, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("WebSocket error", metadata: ["error": "\(error)"])
        switch error {
        case is NIOWebSocketError:
            // NIO's protocol error handler, earlier in the pipeline, has sent the close frame and closes.
            closing = true
        case let aggregation as NIOWebSocketFrameAggregator.Error:
            switch aggregation {
            case .accumulatedFrameSizeIsTooLarge, .tooManyFragments:
                seed.metrics.closedConnection(reason: "fragments_too_large")
                sendClose(code: .messageTooLarge, context: context)
            case .nonFinalFragmentSizeIsTooSmall:
                sendClose(code: .policyViolation, context: context)
            default:
                sendClose(code: .protocolError, context: context)
            }
        default:
            context.close(promise: nil)
        }
    }

    // MARK: - Messages

    private func handle(_ message: SeedConnectionHandler.Message, context: ChannelHandlerContext) {
        if awaitingRegistry {
            queued.append(message)
            return
        }
        guard let pending = connection.receive(message) else { return }
        awaitRegistry(pending, context: context)
    }

    /// Makes an asynchronous registry call from a task, pausing this connection until it answers, so
    /// its messages stay in order and at most one call per connection is in flight.
    private func awaitRegistry(_ pending: SeedConnectionHandler.Pending, context: ChannelHandlerContext) {
        awaitingRegistry = true
        setAutoRead(false, context: context)
        let registry = seed.registry
        let mailbox = connection.mailbox
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let call = TaskCapture(pending)
        Task {
            let resolution = await SeedConnectionHandler.resolve(call.value, registry: registry, mailbox: mailbox)
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.registryAnswered(call.value, with: resolution, context: context)
            }
        }
    }

    private func registryAnswered(
        _ pending: SeedConnectionHandler.Pending, with resolution: SeedConnectionHandler.Resolution,
        context: ChannelHandlerContext
    ) {
        connection.complete(pending, with: resolution)
        awaitingRegistry = false
        while !awaitingRegistry, !queued.isEmpty {
            let message = queued.removeFirst()
            if let next = connection.receive(message) { awaitRegistry(next, context: context) }
        }
        if !awaitingRegistry { setAutoRead(true, context: context) }
    }

    private func setAutoRead(_ on: Bool, context: ChannelHandlerContext) {
        // Fails only on a closed channel, where reading no longer matters.
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
    }

    // MARK: - Closing

    /// The client's close frame: answer it with its own status code, then close the TCP connection.
    private func receivedClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        guard !closing else {
            // The answer to our close frame.
            context.close(promise: nil)
            return
        }
        closing = true
        var data = frame.unmaskedData
        let code = data.readSlice(length: 2) ?? ByteBuffer()
        writeCloseThenClose(WebSocketFrame(fin: true, opcode: .connectionClose, data: code), context: context)
    }

    private func sendClose(code: WebSocketErrorCode, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        var data = context.channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        writeCloseThenClose(WebSocketFrame(fin: true, opcode: .connectionClose, data: data), context: context)
    }

    private func writeCloseThenClose(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        let bound = context.loopBound
        context.writeAndFlush(Self.wrapOutboundOut(frame)).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension SeedWebSocketHandler: Sendable {}

