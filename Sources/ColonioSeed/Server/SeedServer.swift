import ColonioCore
import ColonioTime
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The seed: an HTTP/1.1 server with one WebSocket endpoint per network
/// (`/v1/networks/{name}/ws`, binary `SeedFrame`s), `/healthz`, Prometheus `/metrics` and,
/// optionally, the browser node's files.
///
/// Built directly on SwiftNIO: each connection is a channel pipeline whose handlers do all the work
/// on the connection's event loop, with no Swift task per connection (see `SeedWebSocketHandler`).
/// Run it in a `ServiceGroup`; graceful shutdown stops accepting, closes every connection and
/// returns once they have all closed.
public final class SeedServer: Service {
    /// Path of a network's WebSocket endpoint.
    public static func endpointPath(network: String) -> String { SeedEndpoint.webSocketPath(network: network) }

    private let context: SeedContext
    private let onListening: @Sendable (Int) async -> Void
    private let loadedTLS: Mutex<SeedTLS?>

    /// The metrics the server updates (also served at `/metrics`).
    public var metrics: SeedMetrics { context.metrics }

    /// The certificate and key of `https://` and `wss://`, `nil` when the seed speaks plain HTTP. When
    /// only the configuration names them, they are read when ``run()`` starts.
    public var tls: SeedTLS? { loadedTLS.withLock { $0 } }

    /// Creates a seed.
    /// - Parameters:
    ///   - configuration: a validated configuration (``SeedConfiguration/load(path:)`` validates).
    ///   - signingKey: the key certificates are signed with.
    ///   - registry: where nodes are registered; in-memory by default. A ``SynchronousNetworkRegistry``
    ///     is called directly on the connections' event loops, any other registry from a task.
    ///   - tls: the certificate of `https://` and `wss://`; `nil`: read from `configuration.tls` when
    ///     ``run()`` starts, if set (else plain HTTP). Load it beforehand to report a bad file early.
    ///   - clock: the clock of keepalive timeouts, rate limits and certificate times (tests pass a manual one).
    ///   - logger: the seed's logger; the library never bootstraps logging.
    ///   - onListening: called with the bound port once the server accepts connections (useful with port 0).
    public init(
        configuration: SeedConfiguration, signingKey: SeedSigningKey,
        registry: any NetworkRegistry = InMemoryNetworkRegistry(), tls: SeedTLS? = nil, clock: ColonioClock = .system,
        logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.context = SeedContext(
            configuration: configuration, signingKey: signingKey, registry: registry,
            metrics: SeedMetrics(networks: configuration.networks.map(\.name)), clock: clock, logger: logger)
        self.onListening = onListening
        self.loadedTLS = Mutex(tls)
    }

    /// Reads the TLS certificate and key again (``SeedTLS/reload(now:)``): connections accepted from
    /// now on use the new certificate. On failure the current one stays in use; either way the outcome
    /// is logged. Does nothing without TLS.
    public func reloadTLS() throws(SeedTLSError) {
        guard let tls else { return }
        do {
            try tls.reload()
        } catch {
            context.logger.error(
                "TLS reload failed; keeping the current certificate", metadata: ["error": "\(error)"])
            throw error
        }
        context.logger.notice(
            "TLS certificate reloaded",
            metadata: ["file": "\(tls.configuration.certificateChainFile)", "expiry": "\(tls.certificateExpiry)"])
    }

    /// Listens until graceful shutdown or cancellation, then closes every connection.
    ///
    /// - Throws: NIO's error when the address cannot be bound (e.g. the port is in use);
    ///   ``SeedTLSError`` when the configuration's TLS files cannot be used.
    public func run() async throws {
        let context = self.context
        let limits = context.configuration.limits
        let listen = context.configuration.listen
        let tls: SeedTLS?
        if let given = self.tls {
            tls = given
        } else if let files = context.configuration.tls {
            let loaded = try SeedTLS(configuration: files)
            loadedTLS.withLock { $0 = loaded }
            tls = loaded
        } else {
            tls = nil
        }
        let serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.backlog, value: 4096)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            // A client that stops reading makes its channel unwritable past this many queued bytes;
            // the mailbox then drops frames to it instead of queueing more.
            .childChannelOption(
                ChannelOptions.writeBufferWaterMark,
                value: ChannelOptions.Types.WriteBufferWaterMark(
                    low: limits.outboundQueueBytes / 2, high: limits.outboundQueueBytes))
            .childChannelInitializer { channel in
                // The context is taken per connection, so a reload applies to the next one accepted.
                channel.eventLoop.makeCompletedFuture {
                    try SeedPipeline.configure(channel, seed: context, tls: tls?.context)
                }
            }
            .bind(host: listen.host, port: listen.port).get()
        let port = serverChannel.localAddress?.port ?? 0
        context.logger.info(
            "seed listening",
            metadata: ["host": "\(listen.host)", "port": "\(port)", "scheme": "\(tls == nil ? "http" : "https")"])
        await onListening(port)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await SeedServer.sweep(context: context, timeoutMilliseconds: Int64(limits.keepaliveTimeoutMilliseconds))
            }
            await withTaskCancellationOrGracefulShutdownHandler {
                try? await serverChannel.closeFuture.get()
            } onCancelOrGracefulShutdown: {
                serverChannel.close(promise: nil)
            }
            group.cancelAll()
        }
        // The listener is closed; now every connection, waiting until each has unregistered its node.
        try? await context.connections.closeAll(reason: "seed shutting down", on: serverChannel.eventLoop).get()
    }

    /// Closes connections silent for longer than the keepalive timeout or past a sign-in or request
    /// deadline, until cancelled.
    private static func sweep(context: SeedContext, timeoutMilliseconds: Int64) async {
        let limits = context.configuration.limits
        let shortest = min(
            timeoutMilliseconds, Int64(limits.signInTimeoutMilliseconds), Int64(limits.requestTimeoutMilliseconds))
        let period = Duration.milliseconds(max(10, min(1000, shortest / 4)))
        while !Task.isCancelled {
            do { try await context.clock.sleep(for: period) } catch { return }
            let now = context.now()
            let closed = context.connections.closeLapsed(now: now, silentSince: now - timeoutMilliseconds)
            for (deadline, count) in closed {
                context.metrics.closedConnection(reason: deadline.metricReason, count: count)
                context.logger.info(
                    "closed connections", metadata: ["reason": "\(deadline.metricReason)", "count": "\(count)"])
            }
            context.failedSignIns.sweep(now: now)
        }
    }
}
