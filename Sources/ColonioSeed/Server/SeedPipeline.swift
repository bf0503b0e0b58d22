import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket

/// Sets up an accepted connection: HTTP/1.1 that either upgrades to the seed's WebSocket protocol on
/// `/v1/networks/{name}/ws` or stays plain HTTP for health, metrics and web files.
enum SeedPipeline {
    /// Fragments of one message beyond this many close the connection (1009); with the size bound this
    /// keeps a slow fragmenting client from pinning many receive buffers.
    static let maximumFragments = 256

    /// The connection was refused at accept (a connection cap); NIO closes it.
    struct ConnectionRefused: Error {
        var refusal: ConnectionSet.Refusal
    }

    /// Configures `channel`'s pipeline; call on its event loop (from the child channel initializer).
    /// With `tls`, the connection speaks TLS under HTTP; its handshake must be done, and the first
    /// request arrived, within `requestTimeoutMilliseconds` of the accept.
    /// Throws ``ConnectionRefused`` when a connection cap is reached, which closes the connection.
    static func configure(_ channel: any Channel, seed: SeedContext, tls: NIOSSLContext? = nil) throws {
        let limits = seed.configuration.limits
        let now = seed.now()
        let mailbox = SeedMailbox(
            channel: channel, address: channel.remoteAddress?.ipAddress ?? "unknown", now: now,
            requestDeadline: now + Int64(limits.requestTimeoutMilliseconds))
        // Before anything is allocated for it; a refused connection costs only its accept.
        if let refusal = seed.connections.admit(mailbox) {
            seed.metrics.refusedConnection(reason: refusal.metricReason)
            seed.logRefusal(
                "refused a connection", metadata: ["reason": "\(refusal.metricReason)", "address": "\(mailbox.address)"])
            throw ConnectionRefused(refusal: refusal)
        }
        channel.closeFuture.whenComplete { _ in seed.connections.remove(mailbox) }
        if let tls {
            try channel.pipeline.syncOperations.addHandlers([
                NIOSSLServerHandler(context: tls), SeedTLSErrorHandler(seed: seed, address: mailbox.address),
            ])
        }
        let upgrader = NIOTypedWebSocketServerUpgrader<Void>(
            // A single frame beyond the transport limit is refused by NIO's decoder with close 1009.
            maxFrameSize: limits.transportMessageBytes,
            enableAutomaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(SeedEndpoint.isWebSocketTarget(head.uri) ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    // Checked before the name is copied or logged: it may be 75 KB of anything. (Refusing
                    // the upgrade instead leaves NIO's decoder waiting for upgraded bytes.)
                    guard let network = SeedEndpoint.network(inWebSocketTarget: head.uri) else {
                        seed.metrics.closedConnection(reason: "invalid_network_name")
                        mailbox.upgraded(signInDeadline: seed.now())
                        mailbox.close(code: .policyViolation, reason: SeedEndpoint.networkNameRule)
                        return
                    }
                    let connection = SeedConnectionHandler(
                        context: seed, pathNetwork: network, mailbox: mailbox, logger: seed.logger)
                    try channel.pipeline.syncOperations.addHandlers([
                        // Fragments are held only up to the largest frame the seed accepts at all:
                        // 200 connections each holding 1 MB of fragments held 293 MB before.
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: maximumFragments,
                            maxAccumulatedFrameSize: limits.maximumFrameBytes),
                        SeedWebSocketHandler(seed: seed, connection: connection, logger: seed.logger),
                    ])
                }
            })
        let upgrade = NIOTypedHTTPServerUpgradeConfiguration<Void>(
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SeedHTTPHandler(seed: seed, mailbox: mailbox))
                }
            })
        _ = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(
            configuration: NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: upgrade))
    }
}
