import ColonioCore
import NIOCore
import NIOPosix

/// The load generator of `colonio bench seed`: many simulated nodes, each a WebSocket connection
/// that signs in for real (its own Ed25519 key, a certificate from the seed) and then sends and
/// receives real relayed signals.
///
/// Built directly on SwiftNIO so that the benchmark measures the seed, not its client: all
/// connections share a few event loops, each is a two-handler pipeline with no Swift task, and
/// every byte a node sends (upgrade request, sign-in, signals) is encoded and masked before timing.
/// Use it in order: ``init(host:ports:network:token:options:)`` (prepares, untimed), ``signIn()``,
/// ``prepareSignals()`` (untimed), ``relay()``, optionally ``latencies(samples:)``, ``shutdown()``.
/// With several seeds, client `i` signs in at seed `i % seeds` and signals client `i + 1`, so every
/// relayed signal crosses from one seed to another.
final class SeedLoadGenerator {
    /// How many nodes and how hard they push.
    struct Options {
        /// Simulated nodes.
        var clients: Int
        /// Sign-ins in flight at once.
        var concurrency: Int
        /// Signals each node sends to the next.
        var signalsPerClient: Int
        /// Event loop threads of the load generator.
        var threads: Int
        /// How long each phase may take before the run fails.
        var phaseTimeout: TimeAmount
    }

    private let options: Options
    private let group: MultiThreadedEventLoopGroup
    private let coordinator: SeedLoadCoordinator
    private var signals: [(channel: any Channel, frames: ByteBuffer)] = []

    /// Prepares every node's key, upgrade request and sign-in frame; nothing is sent yet.
    init(host: String, ports: [Int], network: String, token: String, options: Options) throws {
        precondition(!ports.isEmpty, "at least one seed port")
        self.options = options
        let allocator = ByteBufferAllocator()
        let plans = (0..<options.clients).map { client in
            SeedLoadClientPlan(
                host: host, port: ports[client % ports.count], network: network, token: token, allocator: allocator)
        }
        group = MultiThreadedEventLoopGroup(numberOfThreads: options.threads)
        coordinator = SeedLoadCoordinator(
            plans: plans, addresses: try ports.map { try SocketAddress(ipAddress: host, port: $0) }, group: group,
            window: options.concurrency, signalsPerClient: options.signalsPerClient)
    }

    /// Phase 1: every node connects, upgrades and signs in, `concurrency` at a time; returns once all
    /// have their certificates.
    func signIn() async throws {
        coordinator.startSignIns()
        try await wait(for: coordinator.allSignedIn.futureResult, phase: "sign-in") { coordinator in
            "\(coordinator.signedInCount) of \(coordinator.clients) nodes signed in"
        }
    }

    /// Encodes and masks every node's signals to the next node (the last sends to the first).
    func prepareSignals() {
        let nodes = coordinator.signedInNodes()
        precondition(nodes.count == options.clients, "prepareSignals() before every node signed in")
        let candidate = SignalPayload.Kind.candidate(
            candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0", sdpMLineIndex: 0)
        let allocator = ByteBufferAllocator()
        signals = nodes.indices.map { index in
            let target = nodes[(index + 1) % nodes.count].nodeID
            var frames = allocator.buffer(capacity: options.signalsPerClient * 128)
            for number in 0..<options.signalsPerClient {
                let frame = SeedFrame.signal(to: target, payload: SignalPayload(sessionID: UInt64(number), kind: candidate))
                WebSocketClientFrame.write(
                    opcode: WebSocketClientFrame.binary, payload: allocator.buffer(bytes: frame.encoded()), to: &frames)
            }
            return (nodes[index].channel, frames)
        }
    }

    /// Phase 2: every node writes its signals (one write of several frames) and the phase ends when
    /// every signal has arrived at its target. Returns the number that arrived.
    func relay() async throws -> Int {
        for (channel, frames) in signals {
            channel.writeAndFlush(frames, promise: nil)
        }
        let expected = options.clients * options.signalsPerClient
        try await wait(for: coordinator.allSignalsArrived.futureResult, phase: "relay") { coordinator in
            "\(coordinator.arrivedSignals) of \(expected) signals arrived"
        }
        return coordinator.arrivedSignals
    }

    /// Phase 3: node 0 signals node 1 (at the next seed, when there are several) `samples` times, one
    /// at a time; returns each signal's time from write to arrival, ascending.
    func latencies(samples: Int) async throws -> [Duration] {
        let nodes = coordinator.signedInNodes()
        let allocator = ByteBufferAllocator()
        let clock = ContinuousClock()
        var measured: [Duration] = []
        for number in 0..<samples {
            let frame = SeedFrame.signal(
                to: nodes[1].nodeID, payload: SignalPayload(sessionID: UInt64(number), kind: .offer(sdp: "v=0")))
            let bytes = WebSocketClientFrame.binary(frame.encoded(), allocator: allocator)
            let arrived = coordinator.expectProbe()
            let start = clock.now
            nodes[0].channel.writeAndFlush(bytes, promise: nil)
            try await wait(for: arrived, phase: "latency") { _ in "probe \(number) of \(samples) did not arrive" }
            measured.append(clock.now - start)
        }
        return measured.sorted()
    }

    /// Closes every connection and stops the event loops.
    func shutdown() async {
        coordinator.beginClosing()
        signals = []
        try? await group.shutdownGracefully()
    }

    private func wait(
        for future: EventLoopFuture<Void>, phase: String,
        progress: @escaping @Sendable (SeedLoadCoordinator) -> String
    ) async throws {
        let timeout = options.phaseTimeout
        let timer = group.next().scheduleTask(in: timeout) { [coordinator] in
            coordinator.fail(.timedOut("\(phase) after \(timeout.nanoseconds / 1_000_000_000) s: \(progress(coordinator))"))
        }
        defer { timer.cancel() }
        try await future.get()
    }
}
