import NIOCore
import NIOHTTP1

/// Plain HTTP on a connection that did not upgrade to a WebSocket: `GET /healthz`, `GET /metrics`
/// (Prometheus text format) and, with a web directory configured, the browser node's files.
///
/// NIO's pipelining handler in front of it hands over one request at a time: the next one as soon as
/// this handler writes a response's end. Responses are written without waiting for the client, so
/// a client pipelining requests it never reads answers to would have every response queued in memory
/// (8 connections pipelining `GET /colonio.js` took a seed to 912 MB). So one response is in flight
/// per connection: a request that arrives while the previous response is still being written waits
/// until the socket took it, and the pipelining handler reads nothing more meanwhile. Request bodies
/// are not used and are dropped as they stream in; a request must arrive completely within the
/// request deadline, however slowly its bytes trickle in.
final class SeedHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let seed: SeedContext
    private let mailbox: SeedMailbox
    private var request: HTTPRequestHead?
    /// A response is being written to the socket.
    private var responseInFlight = false
    /// The request that arrived while a response was in flight (at most one: the pipelining handler
    /// delivers no other until this one is answered).
    private var waitingRequest: HTTPRequestHead?

    init(seed: SeedContext, mailbox: SeedMailbox) {
        self.seed = seed
        self.mailbox = mailbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            let now = seed.now()
            // A request is activity for the idle sweep; its body is not (see the request deadline).
            mailbox.touch(now: now)
            mailbox.requestStarted(deadline: now + Int64(seed.configuration.limits.requestTimeoutMilliseconds))
            request = head
        case .body:
            break
        case .end:
            mailbox.requestEnded()
            guard let head = request else { return }
            request = nil
            if responseInFlight {
                waitingRequest = head
                seed.metrics.httpRequestWaited()
            } else {
                route(head, context: context)
            }
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
            if SeedEndpoint.isWebSocketTarget(head.uri) {
                if SeedEndpoint.network(inWebSocketTarget: head.uri) == nil {
                    // The name is neither copied nor logged: it may be 75 KB of anything.
                    seed.metrics.refusedHTTPRequest(reason: "invalid_network_name")
                    respond(.text(.badRequest, SeedEndpoint.networkNameRule + "\n"), to: head, context: context)
                } else {
                    respond(.text(.upgradeRequired, "this endpoint speaks WebSocket only\n"), to: head, context: context)
                }
            } else if let webFiles = seed.webFiles, let response = webFiles.response(forPath: path) {
                respond(response, to: head, context: context)
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
        seed.metrics.httpResponded()
        responseInFlight = true
        let head = HTTPResponseHead(version: request.version, status: response.status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD, !response.body.isEmpty {
            let body = context.channel.allocator.buffer(bytes: response.body)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        // Writing the end makes the pipelining handler deliver the next request at once (possibly
        // before this call returns); it waits in `waitingRequest` until this response is written.
        let written = context.writeAndFlush(Self.wrapOutboundOut(.end(nil)))
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        written.whenComplete { result in
            let (handler, context) = bound.value
            guard case .success = result, keepAlive else {
                context.close(promise: nil)
                return
            }
            handler.responseWritten(context: context)
        }
    }

    private func responseWritten(context: ChannelHandlerContext) {
        guard let next = waitingRequest else {
            responseInFlight = false
            return
        }
        waitingRequest = nil
        // Not from inside the write's completion, which may run within the next write: a run of
        // answers the socket takes at once would otherwise nest one call deeper each.
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            handler.route(next, context: context)
        }
    }
}

@available(*, unavailable)
extension SeedHTTPHandler: Sendable {}
