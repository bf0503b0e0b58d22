import ColonioCore
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// The seed: a Hummingbird server with one WebSocket endpoint per network
/// (`/v1/networks/{name}/ws`, binary ``SeedFrame``s), `/healthz` and Prometheus `/metrics`.
///
/// Run it in a `ServiceGroup`; graceful shutdown closes every connection. Tests build the same
/// routes with ``buildRouter()``.
public final class SeedServer: Service {
    /// Path of a network's WebSocket endpoint.
    public static func endpointPath(network: String) -> String { "/v1/networks/\(network)/ws" }

    private let context: SeedContext
    private let onListening: @Sendable (Int) async -> Void

    /// The metrics the server updates (also served at `/metrics`).
    public var metrics: SeedMetrics { context.metrics }

    /// Creates a seed.
    /// - Parameters:
    ///   - configuration: a validated configuration (``SeedConfiguration/load(path:)`` validates).
    ///   - signingKey: the key certificates are signed with.
    ///   - registry: where nodes are registered; in-memory by default.
    ///   - logger: the seed's logger; the library never bootstraps logging.
    ///   - onListening: called with the bound port once the server accepts connections (useful with port 0).
    public init(
        configuration: SeedConfiguration, signingKey: SeedSigningKey,
        registry: any NetworkRegistry = InMemoryNetworkRegistry(), logger: Logger,
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.context = SeedContext(
            configuration: configuration, signingKey: signingKey, registry: registry,
            metrics: SeedMetrics(networks: configuration.networks.map(\.name)), logger: logger)
        self.onListening = onListening
    }

    /// The seed's routes: health, metrics and the WebSocket endpoints.
    public func buildRouter() -> Router<SeedRequestContext> {
        let context = self.context
        let router = Router(context: SeedRequestContext.self)
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: context.metrics.render())))
        }
        if let directory = context.configuration.webDirectory {
            SeedWebFiles(directory: directory).addRoutes(to: router)
        }
        // Every path name upgrades; an unknown network is refused with a typed error frame at sign-in.
        router.ws("/v1/networks/:network/ws") { inbound, _, wsContext in
            let network = wsContext.requestContext.parameters.get("network") ?? ""
            await SeedServer.serve(
                inbound: inbound, channel: wsContext.requestContext.channel, network: network, context: context,
                logger: wsContext.logger)
        }
        return router
    }

    public func run() async throws {
        let context = self.context
        let router = buildRouter()
        let limits = context.configuration.limits
        let listen = context.configuration.listen
        let onListening = self.onListening
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(
                    ws: .init(maxFrameSize: limits.transportMessageBytes, autoPing: .disabled, closeTimeout: .seconds(5)))),
            configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil, backlog: 4096),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                context.logger.info("seed listening", metadata: ["host": "\(listen.host)", "port": "\(port)"])
                await onListening(port)
            },
            logger: context.logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await SeedServer.sweep(context: context, timeoutMilliseconds: Int64(limits.keepaliveTimeoutMilliseconds))
            }
            try await withGracefulShutdownHandler {
                try await app.run()
            } onGracefulShutdown: {
                context.connections.closeAll(reason: "seed shutting down")
            }
            group.cancelAll()
        }
    }

    /// Closes connections whose keepalive lapsed, until cancelled.
    private static func sweep(context: SeedContext, timeoutMilliseconds: Int64) async throws {
        let period = Duration.milliseconds(max(10, min(1000, timeoutMilliseconds / 4)))
        while !Task.isCancelled {
            try await Task.sleep(for: period)
            let closed = context.connections.closeSilent(
                since: context.now() - timeoutMilliseconds, reason: "keepalive lapsed")
            if closed > 0 { context.logger.info("closed silent connections", metadata: ["count": "\(closed)"]) }
        }
    }

    /// One connection, in Hummingbird's task for it: read and handle frames until the client leaves
    /// or the seed closes the channel (keepalive lapsed, shutdown), then unregister the node. Frames
    /// to the client are written straight to the channel by ``SeedMailbox``, so a connection costs one
    /// task (each task keeps its deepest async stack, which dominates memory per connected node).
    private static func serve(
        inbound: WebSocketInboundStream, channel: any Channel, network: String, context: SeedContext, logger: Logger
    ) async {
        let limits = context.configuration.limits
        channel.setOption(
            ChannelOptions.writeBufferWaterMark,
            value: ChannelOptions.Types.WriteBufferWaterMark(low: limits.outboundQueueBytes / 2, high: limits.outboundQueueBytes)
        ).whenFailure { _ in }
        let mailbox = SeedMailbox(channel: channel, now: context.now())
        context.connections.insert(mailbox)
        context.metrics.connectionOpened()
        let handler = SeedConnectionHandler(context: context, pathNetwork: network, mailbox: mailbox, logger: logger)
        do {
            for try await message in inbound.messages(maxSize: limits.transportMessageBytes) {
                await handler.receive(message)
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
        await handler.connectionClosed()
        context.connections.remove(mailbox)
        context.metrics.connectionClosed()
    }
}
