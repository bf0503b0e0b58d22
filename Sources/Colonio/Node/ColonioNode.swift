import ColonioCore
import ColonioWebRTC
import CoreMetrics
import Crypto
import Foundation
import Logging
import ServiceLifecycle

/// A node of a Colonio network: signs in through a seed, joins the ring overlay over WebRTC and
/// sends messages to other nodes.
///
/// ```swift
/// let node = ColonioNode()
/// try await node.connect(seed: "ws://127.0.0.1:8080", network: "demo", token: "demo-token")
/// await node.handle("echo") { message in message.payload }
/// let reply = try await node.request(Array("hi".utf8), toOwnerOf: "some-key", name: "echo")
/// ```
///
/// See <doc:GettingStarted> for messaging, pub/sub and the KVS.
public actor ColonioNode: Service {
    let logger: Logger
    let options: ColonioNodeOptions
    /// Every rule of the node (the same controller the browser node runs); this actor only carries out
    /// its actions. Keeps handlers, subscriptions and the position across sessions.
    var controller: NodeController
    /// The I/O of one connected session; `nil` while disconnected.
    var session: NodeSession?
    var handlers: [String: ColonioHandler] = [:]
    /// Pub/sub subscribers per topic; kept across reconnects.
    var subscribers: [String: [UInt64: AsyncStream<SpreadDelivery>.Continuation]] = [:]
    private var nextSubscriberID: UInt64 = 0
    /// Continuations of `run()` waiting for disconnection.
    private var runWaiters: [CheckedContinuation<Void, Never>] = []
    /// Links of a simulated crash, kept open and silent (see ``crash()``).
    private var abandonedLinks: [ShellLink] = []
    /// Counts sessions so callbacks from an old session's tasks can be told apart.
    private var generations: UInt64 = 0

    /// Creates a disconnected node.
    public init(options: ColonioNodeOptions = ColonioNodeOptions(), logger: Logger = Logger(label: "colonio.node")) {
        self.options = options
        self.logger = logger
        controller = NodeController(
            settings: NodeControllerSettings(
                peerSearchFirstDelayMilliseconds: UInt64(options.retryDelay.milliseconds),
                peerSearchMaximumDelayMilliseconds: UInt64(options.maximumRetryDelay.milliseconds)),
            randomSeed: UInt64.random(in: 0...UInt64.max))
    }

    /// This node's ID on the ring; `nil` until connected.
    public var nodeID: NodeID? { controller.nodeID }

    /// The network configuration the seed handed out; `nil` until connected.
    public var configuration: NetworkConfiguration? { controller.session?.configuration }

    /// The nodes this node has authenticated links to.
    public var linkedPeers: [NodeID] { controller.session?.authenticatedPeers ?? [] }

    /// Milliseconds on the node's clock (``ColonioNodeOptions/clock``): the controller's time.
    func now() -> MonotonicTime {
        MonotonicTime(milliseconds: options.clock.elapsedMilliseconds())
    }

    /// The wall clock in Unix seconds, for certificate times.
    func unixSeconds() -> UInt64 {
        options.clock.unixSeconds()
    }

    /// Signs in to `network` through the seed at `seed` (`ws://host:port` or `wss://...`) with `token`
    /// and joins the overlay. Returns once signed in; links to other nodes form in the background.
    ///
    /// The node then looks after itself until ``disconnect()``: it reconnects to a lost seed under the
    /// same ``nodeID`` (or, if the seed cannot restore it, for example after losing its key, signs in
    /// again with a new one), and asks the seed for peers whenever it has no link left.
    public func connect(seed: String, network: String, token: String) async throws(ColonioError) {
        try await connect(seeds: [seed], network: network, token: token)
    }

    /// Signs in through the first of `seeds` that answers, for a deployment of several seeds that
    /// share one registry (see docs/seed.md); otherwise as ``connect(seed:network:token:)``.
    ///
    /// When its seed connection is lost, or an attempt to restore it fails, the node tries the next
    /// URL of the list (after the last, the first again) and resumes there under the same ``nodeID``:
    /// any seed of the deployment accepts the certificate of another. Seeds reached through one
    /// load-balanced address need only that address.
    ///
    /// - Throws: ``ColonioError/seedFailed(_:)`` with the last seed's error when none signed the node in
    ///   (a seed's refusal, such as a bad token, ends the attempt at once), or when `seeds` is empty.
    public func connect(seeds: [String], network: String, token: String) async throws(ColonioError) {
        guard session == nil else { throw .alreadyConnected }
        guard !seeds.isEmpty else { throw .seedFailed("no seed URL given; pass at least one ws:// or wss:// URL") }
        let keypair = Curve25519.Signing.PrivateKey()
        var signedIn: (client: SeedClient, index: Int)?
        var lastError = ""
        for (index, seed) in seeds.enumerated() {
            do {
                let client = try await SeedClient.connect(
                    url: seed, network: network, token: token, keypair: keypair,
                    options: options.seedClientOptions, logger: logger)
                signedIn = (client, index)
                break
            } catch {
                lastError = error.description
                // A refusal (token, network, limits) would be the same at every seed of the deployment,
                // and so would an unusable CA file.
                if case .rejected = error { break }
                if case .unusableTrustedCAFile = error { break }
                logger.info("seed unreachable; trying the next", metadata: ["seed": "\(seed)", "error": "\(error)"])
            }
        }
        guard let signedIn else { throw .seedFailed(lastError) }
        let (client, seedIndex) = signedIn
        guard session == nil else {
            await client.close()
            throw .alreadyConnected
        }
        let config = client.session.configuration
        let transport: any LinkTransport
        if let custom = options.linkTransport {
            transport = custom
        } else {
            var webRTC = WebRTCConfiguration(iceServers: config.iceServers.map(ICEServer.init))
            if options.loopbackOnly {
                webRTC.allowLoopback = true
                webRTC.allowedInterfaces = []
            } else {
                webRTC.allowedInterfaces = options.allowedInterfaces
            }
            do {
                transport = WebRTCTransport(engine: try WebRTCEngine(configuration: webRTC, logger: logger))
            } catch {
                await client.close()
                throw .linksUnavailable("\(error)")
            }
        }
        begin(client: client, seedURLs: seeds, seedIndex: seedIndex, token: token, keypair: keypair, transport: transport)
    }

    /// Starts a session on a signed-in seed connection.
    func begin(
        client: SeedClient, seedURLs: [String], seedIndex: Int = 0, token: String,
        keypair: Curve25519.Signing.PrivateKey, transport: any LinkTransport
    ) {
        var nodeLogger = logger
        nodeLogger[metadataKey: "node"] = "\(client.session.nodeID)"
        generations += 1
        let newSession = NodeSession(
            seed: client, seedURLs: seedURLs, seedIndex: seedIndex, token: token, keypair: keypair, transport: transport, logger: nodeLogger,
            generation: generations, metricsFactory: options.metricsFactory ?? MetricsSystem.factory)
        session = newSession
        seedClientSignedIn(newSession)
        nodeLogger.info("signed in", metadata: ["bootstrapPeers": "\(client.session.bootstrapPeers.count)"])
        startBackgroundTasks(newSession)
        startSeedTasks(newSession)
        perform(controller.seedFrame(.signedIn(SignInResponse(client.session)), now: now(), unixSeconds: unixSeconds()), in: newSession)
    }

    /// Places this node in the network's coordinate space: plane/torus `x`/`y`; on a sphere `x` is the
    /// longitude and `y` the latitude (longitude first; `Position(latitude:longitude:)` spells it out).
    /// Pub/sub messages reach it when it is inside their circle. Nodes may share a position.
    /// - Throws: ``ColonioError/invalidPosition(_:)`` for coordinates outside the space.
    public func setPosition(_ newPosition: Position) throws(ColonioError) {
        do {
            let actions = try controller.setPosition(newPosition, now: now())
            if let session { perform(actions, in: session) }
        } catch {
            throw ColonioError(error, name: "")
        }
    }

    /// Receives every message published to `topic` whose circle contains this node's position, once each.
    /// The stream ends when the caller stops iterating it (or the node is deinitialised).
    public func subscribe(topic: String) -> AsyncStream<SpreadDelivery> {
        let (stream, continuation) = AsyncStream.makeStream(of: SpreadDelivery.self)
        nextSubscriberID += 1
        let subscriberID = nextSubscriberID
        subscribers[topic, default: [:]][subscriberID] = continuation
        controller.setSubscribed(topic, true)
        continuation.onTermination = { _ in
            Task { await self.unsubscribe(topic: topic, subscriberID: subscriberID) }
        }
        return stream
    }

    private func unsubscribe(topic: String, subscriberID: UInt64) {
        subscribers[topic]?[subscriberID] = nil
        if subscribers[topic]?.isEmpty == true {
            subscribers[topic] = nil
            controller.setSubscribed(topic, false)
        }
    }

    /// Publishes `payload` to the subscribers of `topic` inside the circle of `radius` around `center`
    /// (radius in the space's units; on a sphere metres, and `center.x` is the longitude, `center.y` the
    /// latitude). With `options.requireReceiver` it returns only
    /// once a subscriber received it and throws ``ColonioError/noReceiver`` otherwise, within a few round
    /// trips on a settled network (after 10 s when an answer was lost on the way), and
    /// ``ColonioError/networkClosed`` when ``disconnect()`` comes first: it may have been delivered.
    /// `options.deliverToSelf` also delivers it to this node's own subscription when it is inside the
    /// circle. A publication made before the node has found its geographic neighbours (just after
    /// ``connect(seed:network:token:)`` or ``setPosition(_:)``) waits for them, at most 5 s.
    public func publish(
        _ payload: [UInt8], topic: String, center: Position, radius: Double, options: SpreadOptions = SpreadOptions()
    ) async throws(ColonioError) {
        guard let session else { throw .notConnected }
        let published: (id: UInt64, actions: [NodeAction])
        do {
            published = try controller.publish(
                topic: topic, payload: payload, center: center, radius: radius, options: options, now: now())
        } catch {
            throw ColonioError(error, name: topic)
        }
        session.metrics.published()
        guard options.requireReceiver else {
            perform(published.actions, in: session)
            return
        }
        let failure = await withCheckedContinuation { continuation in
            session.pendingPublications[published.id] = continuation
            perform(published.actions, in: session)
        }
        if let failure { throw ColonioError(failure) }
    }

    /// Leaves the network: closes every link and the seed connection, fails pending requests with
    /// ``ColonioError/networkClosed``. Safe to call when not connected.
    public func disconnect() async {
        guard let current = session else { return }
        perform(controller.stop(now: now()), in: current)
        session = nil
        current.shutDown()
        await current.seed.close()
        for waiter in runWaiters { waiter.resume() }
        runWaiters.removeAll()
        logger.info("disconnected")
    }

    /// Stops the node as a crash would, for tests of failure handling: its links stay open but silent
    /// (peers notice only when keepalives go missing), its seed connection drops, nothing is said to
    /// anyone. Pending operations fail with ``ColonioError/networkClosed``.
    package func crash() async {
        guard let current = session else { return }
        session = nil
        for task in current.tasks { task.cancel() }
        current.tasks.removeAll()
        for link in current.links.values { link.abandon() }
        // Kept so that the links are not closed when the entries are released.
        abandonedLinks.append(contentsOf: current.links.values)
        current.links.removeAll()
        // The controller forgets the session; with the links gone from the shell, nothing is said to anyone.
        perform(controller.stop(now: now()), in: current)
        current.shutDown()
        await current.seed.close()
        for waiter in runWaiters { waiter.resume() }
        runWaiters.removeAll()
        logger.info("crashed (simulated)")
    }

    /// Hands the node a signal as if `peer` had sent it through the seed, for tests of signaling races.
    package func injectSignal(_ payload: SignalPayload, from peer: NodeID) {
        guard let session else { return }
        perform(controller.seedFrame(.relayedSignal(from: peer, payload: payload), now: now(), unixSeconds: unixSeconds()), in: session)
    }

    /// Registers (or replaces) the handler for messages and requests sent to `name`.
    public func handle(_ name: String, handler: @escaping ColonioHandler) {
        handlers[name] = handler
        controller.setHandler(name, registered: true)
    }

    /// Removes the handler for `name`; later requests to it fail with ``ColonioError/noHandler(_:)``.
    public func removeHandler(_ name: String) {
        handlers[name] = nil
        controller.setHandler(name, registered: false)
    }

    /// Sends one-way `payload` to the handler `name` on node `destination`. Returns once handed to the
    /// overlay; delivery is not confirmed (use ``request(_:to:name:)`` for that).
    public func send(_ payload: [UInt8], to destination: NodeID, name: String) throws(ColonioError) {
        try send(payload, destination: .node(destination), name: name)
    }

    /// Sends one-way `payload` to the handler `name` on the node responsible for `key`
    /// (the same node the KVS places `key` on).
    public func send(_ payload: [UInt8], toOwnerOf key: String, name: String) throws(ColonioError) {
        try send(payload, destination: .ownerOf(KVSPlacement.position(ofKey: KVSKey(key))), name: name)
    }

    /// Sends `payload` to the handler `name` on node `destination` and returns the handler's response.
    /// Retries and times out as the network's routing settings say.
    public func request(_ payload: [UInt8], to destination: NodeID, name: String) async throws(ColonioError) -> [UInt8] {
        try await request(payload, destination: .node(destination), name: name)
    }

    /// Sends `payload` to the handler `name` on the node responsible for `key` and returns its response.
    public func request(_ payload: [UInt8], toOwnerOf key: String, name: String) async throws(ColonioError) -> [UInt8] {
        try await request(payload, destination: .ownerOf(KVSPlacement.position(ofKey: KVSKey(key))), name: name)
    }

    /// Runs until ``disconnect()``, cancellation or a graceful shutdown of its `ServiceGroup` (the last two
    /// disconnect the node): lets a `ServiceGroup` own the node.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    if session == nil { continuation.resume() } else { runWaiters.append(continuation) }
                }
            } onCancel: {
                Task { await self.disconnect() }
            }
        } onGracefulShutdown: {
            Task { await self.disconnect() }
        }
    }

    /// The current session if it is the one numbered `generation`.
    func session(_ generation: UInt64) -> NodeSession? {
        guard let session, session.generation == generation else { return nil }
        return session
    }

    private func send(_ payload: [UInt8], destination: Destination, name: String) throws(ColonioError) {
        guard let session else { throw .notConnected }
        do {
            perform(try controller.send(name: name, payload: payload, to: destination, now: now()), in: session)
        } catch {
            throw ColonioError(error, name: name)
        }
    }

    private func request(_ payload: [UInt8], destination: Destination, name: String) async throws(ColonioError) -> [UInt8] {
        guard let session else { throw .notConnected }
        let started: (requestID: UInt64, actions: [NodeAction])
        do {
            started = try controller.request(name: name, payload: payload, to: destination, now: now())
        } catch {
            throw ColonioError(error, name: name)
        }
        let outcome = await withCheckedContinuation { continuation in
            session.pendingRequests[started.requestID] = continuation
            perform(started.actions, in: session)
        }
        switch outcome {
        case .response(let bytes): return bytes
        case .failure(let failure): throw ColonioError(failure, name: name)
        }
    }
}

extension ColonioError {
    init(_ error: NodeCallError, name: String) {
        switch error {
        case .notConnected: self = .notConnected
        case .alreadyConnected: self = .alreadyConnected
        case .messageTooLarge(let size, let limit): self = .messageTooLarge(size: size, limit: limit)
        case .invalidName: self = .invalidName(name)
        case .invalidPosition(let why): self = .invalidPosition(why.description)
        case .spread(let spread): self = ColonioError(spread)
        }
    }
}
