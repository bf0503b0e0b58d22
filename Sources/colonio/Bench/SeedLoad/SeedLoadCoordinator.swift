import ColonioCore
import NIOCore
import NIOPosix
import Synchronization

/// What the load generator's connections share: the sign-in window, the node IDs and channels of
/// signed-in nodes, the count of relayed signals that arrived, and the first failure.
///
/// Connections report from every event loop, so the state sits behind a mutex (taken about once per
/// sign-in) and the arrival count is an atomic (touched once per relayed signal).
final class SeedLoadCoordinator: Sendable {
    private struct State {
        var nodeIDs: [NodeID?]
        var channels: [(any Channel)?]
        /// The next client to connect once one in the window has signed in.
        var nextClient = 0
        var signedIn = 0
        var failure: SeedLoadError?
        /// Set at teardown, after which closed connections are expected, not failures.
        var isClosing = false
        /// Completed by the next signal past the relay phase's (the latency phase's probe).
        var probe: EventLoopPromise<Void>?
    }

    /// The number of simulated nodes.
    let clients: Int
    /// Completed once every node has signed in, failed at the first failure.
    let allSignedIn: EventLoopPromise<Void>
    /// Completed once every expected signal has arrived, failed at the first failure.
    let allSignalsArrived: EventLoopPromise<Void>

    private let plans: [SeedLoadClientPlan]
    /// The seeds' addresses; client `i` signs in at `addresses[i % addresses.count]`.
    private let addresses: [SocketAddress]
    private let group: any EventLoopGroup
    private let window: Int
    private let expectedSignals: Int
    private let state: Mutex<State>
    private let arrived = Atomic<Int>(0)

    /// - Parameters:
    ///   - plans: each node's pre-encoded handshake and sign-in.
    ///   - addresses: the seeds' addresses (several seeds sharing a registry get the clients in turn).
    ///   - group: the event loops the connections run on.
    ///   - window: sign-ins in flight at once.
    ///   - signalsPerClient: signals each node receives in the relay phase.
    init(
        plans: [SeedLoadClientPlan], addresses: [SocketAddress], group: any EventLoopGroup, window: Int,
        signalsPerClient: Int
    ) {
        self.plans = plans
        self.clients = plans.count
        self.addresses = addresses
        self.group = group
        self.window = window
        self.expectedSignals = plans.count * signalsPerClient
        self.state = Mutex(State(nodeIDs: Array(repeating: nil, count: plans.count), channels: Array(repeating: nil, count: plans.count)))
        let loop = group.next()
        allSignedIn = loop.makePromise()
        allSignalsArrived = loop.makePromise()
    }

    /// Connects the first `window` nodes; each sign-in then starts the next connection.
    func startSignIns() {
        let first = state.withLock { state in
            state.nextClient = min(window, clients)
            return 0..<state.nextClient
        }
        for client in first { connect(client) }
    }

    private func connect(_ client: Int) {
        let plan = plans[client]
        ClientBootstrap(group: group)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        SeedLoadHandshakeHandler(
                            client: client, request: plan.upgradeRequest, expectedAccept: plan.expectedAccept,
                            maximumFrameBytes: SeedLimits.frameBytes),
                        SeedLoadConnectionHandler(client: client, signIn: plan.signIn, coordinator: self))
                }
            }
            .connect(to: addresses[client % addresses.count])
            .whenFailure { [self] error in fail(.connectionLost(client: client, "connect: \(error)")) }
    }

    /// Records a node's sign-in and starts the next connection of the window.
    func signedIn(client: Int, nodeID: NodeID, channel: any Channel) {
        let (next, done) = state.withLock { state -> (Int?, Bool) in
            state.nodeIDs[client] = nodeID
            state.channels[client] = channel
            state.signedIn += 1
            let done = state.signedIn == clients
            guard state.failure == nil, state.nextClient < clients else { return (nil, done) }
            defer { state.nextClient += 1 }
            return (state.nextClient, done)
        }
        if let next { connect(next) }
        if done { allSignedIn.succeed() }
    }

    /// The node that sends to `client` in the relay phase: the one before it, in a ring.
    func sender(to client: Int) -> NodeID? {
        state.withLock { $0.nodeIDs[(client + clients - 1) % clients] }
    }

    /// Counts one relayed signal that reached its target.
    func signalArrived() {
        let count = arrived.wrappingAdd(1, ordering: .relaxed).newValue
        if count == expectedSignals { allSignalsArrived.succeed() }
        if count > expectedSignals {
            state.withLock { state in defer { state.probe = nil }; return state.probe }?.succeed()
        }
    }

    /// A future completed by the next signal to arrive after the relay phase (latency probes, one at a time).
    func expectProbe() -> EventLoopFuture<Void> {
        let promise = group.next().makePromise(of: Void.self)
        state.withLock { $0.probe = promise }
        return promise.futureResult
    }

    /// Relayed signals that have arrived so far.
    var arrivedSignals: Int { arrived.load(ordering: .relaxed) }

    /// Sign-ins completed so far.
    var signedInCount: Int { state.withLock { $0.signedIn } }

    /// Every node's ID and channel, in client order; call once ``allSignedIn`` has succeeded.
    func signedInNodes() -> [(nodeID: NodeID, channel: any Channel)] {
        state.withLock { state in
            zip(state.nodeIDs, state.channels).compactMap { nodeID, channel in
                guard let nodeID, let channel else { return nil }
                return (nodeID, channel)
            }
        }
    }

    /// Ends the run with `error` unless it already failed or is closing.
    func fail(_ error: SeedLoadError) {
        let first = state.withLock { state in
            guard state.failure == nil, !state.isClosing else { return false }
            state.failure = error
            return true
        }
        guard first else { return }
        allSignedIn.fail(error)
        allSignalsArrived.fail(error)
        state.withLock { state in defer { state.probe = nil }; return state.probe }?.fail(error)
    }

    /// A connection closed: a failure unless the generator is shutting down.
    func closed(client: Int) {
        fail(.connectionLost(client: client, "the connection closed"))
    }

    /// Marks the start of teardown so closing connections are not failures, and completes both
    /// promises (NIO treats a promise dropped uncompleted as a bug).
    func beginClosing() {
        let probe = state.withLock { state in
            state.isClosing = true
            defer { state.probe = nil }
            return state.probe
        }
        probe?.fail(SeedLoadError.timedOut("the load generator shut down"))
        allSignedIn.fail(SeedLoadError.timedOut("the load generator shut down"))
        allSignalsArrived.fail(SeedLoadError.timedOut("the load generator shut down"))
    }
}
