import Foundation
import NIOCore
import NIOWebSocket

/// Opens one simulated node's WebSocket: writes the HTTP upgrade request, checks the seed's
/// `101 Switching Protocols` answer and its `Sec-WebSocket-Accept`, then puts NIO's WebSocket frame
/// decoder in its own place and removes itself.
///
/// Hand-written rather than NIO's HTTP client pipeline with `NIOWebSocketClientUpgrader` so that a
/// connection costs the load generator as little as possible: the request is built before timing and
/// the answer is checked with a byte search and a few string comparisons, without an HTTP parser.
final class SeedLoadHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The user event fired down the pipeline once the WebSocket is open.
    struct Upgraded {}

    /// An upgrade answer longer than this is refused; the seed's is under 200 bytes.
    static let maximumResponseBytes = 4096

    private let client: Int
    private let request: ByteBuffer
    private let expectedAccept: String
    private let maximumFrameBytes: Int
    /// Bytes of the answer read so far, while its header is incomplete.
    private var received: ByteBuffer?

    /// - Parameters:
    ///   - client: the simulated node's index, for error messages.
    ///   - request: the complete upgrade request.
    ///   - expectedAccept: the `Sec-WebSocket-Accept` value the request's key calls for.
    ///   - maximumFrameBytes: the largest frame the decoder accepts afterwards.
    init(client: Int, request: ByteBuffer, expectedAccept: String, maximumFrameBytes: Int) {
        self.client = client
        self.request = request
        self.expectedAccept = expectedAccept
        self.maximumFrameBytes = maximumFrameBytes
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(Self.wrapOutboundOut(request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = Self.unwrapInboundIn(data)
        if var earlier = received {
            earlier.writeBuffer(&bytes)
            bytes = earlier
        }
        guard let headerBytes = Self.headerLength(in: bytes) else {
            if bytes.readableBytes > Self.maximumResponseBytes {
                fail(context: context, "answer header longer than \(Self.maximumResponseBytes) bytes")
            } else {
                received = bytes
            }
            return
        }
        received = nil
        let header = bytes.readString(length: headerBytes) ?? ""
        if let problem = Self.problem(withAnswer: header, expectedAccept: expectedAccept) {
            fail(context: context, problem)
            return
        }
        do {
            try context.pipeline.syncOperations.addHandler(
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maximumFrameBytes)), position: .after(self))
        } catch {
            fail(context: context, "could not add the frame decoder: \(error)")
            return
        }
        context.fireUserInboundEventTriggered(Upgraded())
        // Frames that came in the same read as the answer go to the decoder just added.
        if bytes.readableBytes > 0 { context.fireChannelRead(Self.wrapInboundOut(bytes)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func fail(context: ChannelHandlerContext, _ reason: String) {
        context.fireErrorCaught(SeedLoadError.upgradeRefused(client: client, reason))
        context.close(promise: nil)
    }

    /// The length of the answer's header including its blank line, once all of it has arrived.
    static func headerLength(in buffer: ByteBuffer) -> Int? {
        let view = buffer.readableBytesView
        guard view.count >= 4 else { return nil }
        var index = view.startIndex
        let last = view.index(view.endIndex, offsetBy: -4)
        while index <= last {
            if view[index] == 13, view[index + 1] == 10, view[index + 2] == 13, view[index + 3] == 10 {
                return index - view.startIndex + 4
            }
            index += 1
        }
        return nil
    }

    /// Why `header` is not a valid upgrade answer for the expected accept value; `nil` when it is.
    static func problem(withAnswer header: String, expectedAccept: String) -> String? {
        let lines = header.split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let status = lines.first else { return "empty answer" }
        guard status.hasPrefix("HTTP/1.1 101") else { return "status line \"\(status)\"" }
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            guard line[..<colon].lowercased() == "sec-websocket-accept" else { continue }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            return value == expectedAccept ? nil : "Sec-WebSocket-Accept \(value), expected \(expectedAccept)"
        }
        return "no Sec-WebSocket-Accept header"
    }
}

@available(*, unavailable)
extension SeedLoadHandshakeHandler: Sendable {}
