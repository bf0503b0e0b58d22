import ColonioCore
import ColonioWebRTC
import CoreMetrics
import Crypto
import Logging

/// Everything a connected ``ColonioNode`` holds; replaced wholesale on reconnect so that late events of
/// an old session are recognised (by identity) and ignored. Only ever touched on the node's actor.
final class NodeSession {
    /// The current seed connection; replaced when a lost one is re-established under the same ID.
    var seed: SeedClient
    /// Where and how the node signed in, to sign in again after losing the seed.
    let seedURL: String
    let token: String
    let keypair: Curve25519.Signing.PrivateKey
    /// WebRTC, or an in-memory network in tests.
    let transport: any LinkTransport
    let logger: Logger
    let nodeID: NodeID
    let network: String
    /// Distinguishes this session from earlier and later ones in callbacks from background tasks.
    let generation: UInt64
    var machine: NodeMachine
    /// Location-based pub/sub over the same links.
    var geo: GeoInstance
    /// The key-value store over the same links.
    var kvs: KVSCoordinator
    /// Application KVS operations waiting for their owner's answer.
    var pendingKVS: [KVSClientOperationID: CheckedContinuation<Result<KVSValue?, ColonioError>, Never>] = [:]
    /// Which KVS operation each of the node machine's KVS requests carries.
    var kvsRequests: [UInt64: KVSClientOperationID] = [:]
    /// Publications waiting for a receipt (`requireReceiver`).
    var pendingPublications: [SpreadMessageID: CheckedContinuation<SpreadError?, Never>] = [:]
    var links: [NodeID: LinkEntry] = [:]
    /// Links whose peer passed the certificate hello.
    var authenticatedLinkCount: Int { links.values.filter(\.isAuthenticated).count }
    var pendingRequests: [UInt64: CheckedContinuation<RequestOutcome, Never>] = [:]
    var tasks: [Task<Void, Never>] = []
    /// Tasks that serve ``seed`` (its signals, refusals, certificate renewal, or reconnecting to it).
    var seedTasks: [Task<Void, Never>] = []
    /// Whether the node is asking the seed for peers (it had no link).
    var findingPeers = false
    var peerSearch: PeerSearchSchedule
    /// Until when the seed's "unknown peer" may only mean the peer has not returned yet (after the
    /// seed connection was re-established, say after a seed restart).
    var seedReturnGraceUntil: MonotonicTime?
    let metrics: NodeMetrics
    private let clockOrigin = ContinuousClock.now

    init(
        seed: SeedClient, seedURL: String, token: String, keypair: Curve25519.Signing.PrivateKey,
        transport: any LinkTransport, logger: Logger, generation: UInt64, metricsFactory: any MetricsFactory,
        peerSearch: PeerSearchSchedule
    ) {
        self.peerSearch = peerSearch
        self.seedURL = seedURL
        self.token = token
        self.generation = generation
        self.metrics = NodeMetrics(network: seed.session.configuration.name, factory: metricsFactory)
        self.seed = seed
        self.keypair = keypair
        self.transport = transport
        self.logger = logger
        self.nodeID = seed.session.nodeID
        self.network = seed.session.configuration.name
        self.machine = NodeMachine(settings: seed.session.configuration.routing)
        self.geo = GeoInstance(
            id: seed.session.nodeID, space: seed.session.configuration.space, settings: seed.session.configuration.spread)
        let configuration = seed.session.configuration
        self.kvs = KVSCoordinator(
            nodeID: seed.session.nodeID, settings: configuration.kvs,
            jointMilliseconds: KVSCoordinator.jointMilliseconds(routing: configuration.routing, kvs: configuration.kvs),
            randomSeed: UInt64.random(in: 0...UInt64.max), now: .zero)
    }

    /// Milliseconds since this session started, as the node machine's clock.
    func now() -> MonotonicTime {
        MonotonicTime(milliseconds: UInt64(max(0, (ContinuousClock.now - clockOrigin).milliseconds)))
    }

    /// Stops background work, closes every link and fails what is still waiting.
    func shutDown() {
        for task in tasks + seedTasks { task.cancel() }
        tasks.removeAll()
        seedTasks.removeAll()
        for entry in links.values { entry.close() }
        links.removeAll()
        for continuation in pendingRequests.values { continuation.resume(returning: .failure(.networkClosed)) }
        pendingRequests.removeAll()
        for continuation in pendingPublications.values { continuation.resume(returning: nil) }
        pendingPublications.removeAll()
        for continuation in pendingKVS.values { continuation.resume(returning: .failure(.networkClosed)) }
        pendingKVS.removeAll()
        kvsRequests.removeAll()
    }
}
