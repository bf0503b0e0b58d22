import ColonioCore
import ColonioWebRTC
import CoreMetrics
import Crypto
import Logging

/// The I/O of a connected ``ColonioNode``: the seed connection, the peer connections and the callers
/// waiting for outcomes. The rules live in the node's ``NodeController``. One per `connect`; a
/// returning seed connection replaces only ``seed``. Late events of an earlier session are recognised
/// (by generation) and ignored. Only ever touched on the node's actor.
final class NodeSession {
    /// The current seed connection; replaced when a lost one is re-established.
    var seed: SeedClient
    /// Where and how the node signed in, to sign in again after losing the seed: the seeds of the
    /// deployment, and which of them the node uses (or tries next).
    let seedURLs: [String]
    var seedIndex: Int
    /// The seed URL to use or try now.
    var seedURL: String { seedURLs[seedIndex % seedURLs.count] }
    let token: String
    let keypair: Curve25519.Signing.PrivateKey
    /// The node's Ed25519 public key, as the seed protocol carries it.
    var publicKey: [UInt8] { Array(keypair.publicKey.rawRepresentation) }
    /// WebRTC, or an in-memory network in tests.
    let transport: any LinkTransport
    var logger: Logger
    let network: String
    /// Distinguishes this session from earlier and later ones in callbacks from background tasks.
    let generation: UInt64
    /// Peer connections by peer, as the controller asked for them.
    var links: [NodeID: ShellLink] = [:]
    var pendingRequests: [UInt64: CheckedContinuation<RequestOutcome, Never>] = [:]
    /// Application KVS operations waiting for their outcome.
    var pendingKVS: [KVSClientOperationID: CheckedContinuation<Result<KVSValue?, ColonioError>, Never>] = [:]
    /// Publications waiting for a receipt (`requireReceiver`), by the controller's ID.
    var pendingPublications: [UInt64: CheckedContinuation<SpreadError?, Never>] = [:]
    var tasks: [Task<Void, Never>] = []
    /// Tasks that serve ``seed`` (its signals and refusals, or reconnecting to it).
    var seedTasks: [Task<Void, Never>] = []
    let metrics: NodeMetrics

    init(
        seed: SeedClient, seedURLs: [String], seedIndex: Int, token: String, keypair: Curve25519.Signing.PrivateKey,
        transport: any LinkTransport, logger: Logger, generation: UInt64, metricsFactory: any MetricsFactory
    ) {
        self.seedURLs = seedURLs
        self.seedIndex = seedIndex
        self.token = token
        self.generation = generation
        self.metrics = NodeMetrics(network: seed.session.configuration.name, factory: metricsFactory)
        self.seed = seed
        self.keypair = keypair
        self.transport = transport
        self.logger = logger
        self.network = seed.session.configuration.name
    }

    /// Moves on to the next seed of the list (the current one was lost or did not answer).
    func nextSeed() {
        seedIndex = (seedIndex + 1) % seedURLs.count
    }

    /// Stops background work, closes every link and fails what is still waiting.
    func shutDown() {
        for task in tasks + seedTasks { task.cancel() }
        tasks.removeAll()
        seedTasks.removeAll()
        for link in links.values { link.close() }
        links.removeAll()
        for continuation in pendingRequests.values { continuation.resume(returning: .failure(.networkClosed)) }
        pendingRequests.removeAll()
        for continuation in pendingPublications.values { continuation.resume(returning: nil) }
        pendingPublications.removeAll()
        failPendingKVS()
    }

    /// KVS operations of an identity that is gone (the controller cannot fail them: the KVS has no such error).
    func failPendingKVS() {
        for continuation in pendingKVS.values { continuation.resume(returning: .failure(.networkClosed)) }
        pendingKVS.removeAll()
    }
}

extension SignInResponse {
    /// The response a seed client's sign-in received, for the controller.
    init(_ session: SeedSession) {
        self.init(
            nodeID: session.nodeID, certificate: session.certificate, seedPublicKey: session.seedPublicKey,
            configuration: session.configuration, bootstrapPeers: session.bootstrapPeers,
            keepaliveIntervalMilliseconds: UInt32(clamping: session.keepaliveInterval.milliseconds))
    }
}
