import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Crypto
import ServiceLifecycle
import Testing

/// A registry that suspends on every call, as one backed by a database would: an actor, and not a
/// `SynchronousNetworkRegistry`, so the seed takes its task-per-call path.
actor SlowRegistry: NetworkRegistry {
    private let inner = InMemoryNetworkRegistry()
    private(set) var calls = 0
    private(set) var unregistrations = 0

    func register(
        network: String, nodeID: NodeID?, maximumNodes: Int, predecessors: Int, successors: Int, mailbox: SeedMailbox
    ) async throws(NetworkRegistryError) -> NodeRegistration {
        calls += 1
        await Task.yield()
        return try inner.register(
            network: network, nodeID: nodeID, maximumNodes: maximumNodes, predecessors: predecessors,
            successors: successors, mailbox: mailbox)
    }

    func unregister(network: String, nodeID: NodeID, mailbox: SeedMailbox) async {
        calls += 1
        unregistrations += 1
        await Task.yield()
        inner.unregister(network: network, nodeID: nodeID, mailbox: mailbox)
    }

    func nearest(network: String, to nodeID: NodeID, predecessors: Int, successors: Int) async -> [NodeID] {
        calls += 1
        await Task.yield()
        return inner.nearest(network: network, to: nodeID, predecessors: predecessors, successors: successors)
    }

    func mailbox(network: String, nodeID: NodeID) async -> SeedMailbox? {
        calls += 1
        await Task.yield()
        return inner.mailbox(network: network, nodeID: nodeID)
    }

    func nodeCount(network: String) async -> Int {
        inner.nodeCount(network: network)
    }
}

@Suite(.timeLimit(.minutes(1))) struct AsynchronousRegistryTests {
    @Test func signInRelayAndUnregisterWorkThroughAnAsynchronousRegistry() async throws {
        let registry = SlowRegistry()
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = SeedServer(
            configuration: RunningSeed.configuration(limits: SeedLimitsConfiguration(framesPerSecond: 1000)),
            signingKey: SeedSigningKey(), registry: registry, logger: RunningSeed.logger,
            onListening: { portContinuation.yield($0) })
        let group = ServiceGroup(services: [server], gracefulShutdownSignals: [], logger: RunningSeed.logger)
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let url = "ws://127.0.0.1:\(port)"
        func connect() async throws -> SeedClient {
            try await SeedClient.connect(
                url: url, network: "alpha", token: "alpha-token", keypair: Curve25519.Signing.PrivateKey(),
                logger: RunningSeed.logger)
        }

        let first = try await connect()
        let second = try await connect()
        #expect(second.session.bootstrapPeers == [first.session.nodeID])
        // A burst: each signal waits for its registry lookup, and they still arrive in order.
        let sent = (0..<50).map { SignalPayload(sessionID: UInt64($0), kind: .offer(sdp: "v=0 \($0)")) }
        for payload in sent { try first.send(signal: payload, to: second.session.nodeID) }
        var received: [SignalPayload] = []
        var signals = second.signals.makeAsyncIterator()
        while received.count < sent.count, let signal = await signals.next() { received.append(signal.payload) }
        #expect(received == sent)
        #expect(await registry.calls >= 52)

        await first.close()
        #expect(await eventually { await registry.nodeCount(network: "alpha") == 1 })
        #expect(try await second.findPeers() == [])

        // A resumed sign-in and a peer lookup go through the registry's task path too.
        let key = Curve25519.Signing.PrivateKey()
        let third = try await SeedClient.connect(
            url: url, network: "alpha", token: "alpha-token", keypair: key, logger: RunningSeed.logger)
        #expect(try await second.findPeers() == [third.session.nodeID])
        let unregistrations = await registry.unregistrations
        let resumed = try await SeedClient.connect(
            url: url, network: "alpha", token: "alpha-token", keypair: key, resuming: third.certificate,
            logger: RunningSeed.logger)
        #expect(resumed.session.nodeID == third.session.nodeID)
        // The seed closes the displaced connection; its unregistration (once the registry has been told)
        // leaves the resumed registration in place.
        #expect(await eventually { await registry.unregistrations > unregistrations })
        await third.close()
        #expect(await registry.nodeCount(network: "alpha") == 2)
        #expect(try await resumed.findPeers() == [second.session.nodeID])
        await resumed.close()
        await second.close()
        await group.triggerGracefulShutdown()
        try await task.value
    }
}
