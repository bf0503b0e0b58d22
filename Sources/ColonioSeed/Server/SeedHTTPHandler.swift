import NIOCore
import NIOHTTP1
import NIOPosix

/// Plain HTTP on a connection that did not upgrade to a WebSocket: `GET /healthz`, `GET /metrics`
/// (Prometheus text format) and, with a web directory configured, the browser node's files.
///
/// NIO's pipelining handler in front of it hands over one request at a time, so a response is always
/// for the request just read. Request bodies are not used and are dropped as they stream in.
final class SeedHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let seed: SeedContext
    private let mailbox: SeedMailbox
    private let webFiles: SeedWebFiles?
    private var request: HTTPRequestHead?

    init(seed: SeedContext, mailbox: SeedMailbox) {
        self.seed = seed
        self.mailbox = mailbox
        self.webFiles = seed.configuration.webDirectory.map { SeedWebFiles(directory: $0) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Any traffic counts as activity for the idle sweep, which also closes idle HTTP connections.
        mailbox.touch(now: seed.now())
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            route(head, context: context)
        }
    }

    private func route(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = SeedEndpoint.path(of: head.uri)
        let isHead = head.method == .HEAD
        guard head.method == .GET || isHead else {
            respond(.text(.methodNotAllowed, "only GET and HEAD are served\n", headers: [("Allow", "GET, HEAD")]),
                    to: head, context: context)
            return
        }
        switch path {
        case "/healthz":
            respond(.text(.ok, "ok\n"), to: head, context: context)
        case "/metrics":
            respond(
                SeedHTTPResponse(
                    status: .ok, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")],
                    body: Array(seed.metrics.render().utf8)),
                to: head, context: context)
        default:
            if SeedEndpoint.network(inWebSocketTarget: head.uri) != nil {
                respond(.text(.upgradeRequired, "this endpoint speaks WebSocket only\n"), to: head, context: context)
            } else if let webFiles, let entry = SeedWebFiles.files[String(path)] {
                // File reads block, so they run on NIO's thread pool rather than the event loop.
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                NIOThreadPool.singleton.runIfActive(eventLoop: context.eventLoop) { webFiles.response(for: entry) }
                    .whenComplete { result in
                        let (handler, context) = bound.value
                        let response = (try? result.get()) ?? .text(.serviceUnavailable, "the seed is shutting down\n")
                        handler.respond(response, to: head, context: context)
                    }
            } else {
                respond(.text(.notFound, "not found\n"), to: head, context: context)
            }
        }
    }

    private func respond(_ response: SeedHTTPResponse, to request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let keepAlive = request.isKeepAlive
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if request.version.major == 1, request.version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD, !response.body.isEmpty {
            let body = context.channel.allocator.buffer(bytes: response.body)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = context.loopBound
            written.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension SeedHTTPHandler: Sendable {}
