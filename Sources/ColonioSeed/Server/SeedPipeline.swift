import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Sets up an accepted connection: HTTP/1.1 that either upgrades to the seed's WebSocket protocol on
/// `/v1/networks/{name}/ws` or stays plain HTTP for health, metrics and web files.
enum SeedPipeline {
    /// Fragments of one message beyond this many close the connection (1009); with the size bound this
    /// keeps a slow fragmenting client from pinning many receive buffers.
    static let maximumFragments = 256

    /// Configures `channel`'s pipeline; call on its event loop (from the child channel initializer).
    static func configure(_ channel: any Channel, seed: SeedContext) throws {
        let mailbox = SeedMailbox(channel: channel, now: seed.now())
        let limits = seed.configuration.limits
        let upgrader = NIOTypedWebSocketServerUpgrader<Void>(
            // A single frame beyond the transport limit is refused by NIO's decoder with close 1009.
            maxFrameSize: limits.transportMessageBytes,
            enableAutomaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                channel.eventLoop.makeSucceededFuture(
                    SeedEndpoint.network(inWebSocketTarget: head.uri) == nil ? nil : HTTPHeaders())
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let network = SeedEndpoint.network(inWebSocketTarget: head.uri) ?? ""
                    let connection = SeedConnectionHandler(
                        context: seed, pathNetwork: network, mailbox: mailbox, logger: seed.logger)
                    try channel.pipeline.syncOperations.addHandlers([
                        NIOWebSocketFrameAggregator(
                            minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: maximumFragments,
                            maxAccumulatedFrameSize: limits.transportMessageBytes),
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
        // Known from the start, so the idle sweep and shutdown reach connections that never upgrade.
        seed.connections.insert(mailbox)
        channel.closeFuture.whenComplete { _ in seed.connections.remove(mailbox) }
    }
}
