import Colonio
import ColonioSeed
import ColonioTesting
import Testing

/// The messages a new user meets first say what happened and what to do, and name real API.
@Suite(.timeLimit(.minutes(1))) struct NodeErrorMessageTests {
    @Test func aClosedPortSaysNothingListensThere() async throws {
        let seed = try await EmbeddedSeed.start(configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let port = seed.port
        await seed.stop()
        let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: InMemoryLinkNetwork()), logger: NodeEndToEndTests.logger)
        do {
            try await node.connect(seed: "ws://127.0.0.1:\(port)", network: "alpha", token: "alpha-token")
            Issue.record("connected to a stopped seed")
        } catch {
            #expect(error.description == "signing in to the seed failed: cannot connect to the seed: nothing listens at "
                + "127.0.0.1:\(port) (connection refused): start the seed or fix the port")
        }
    }

    @Test func aWrongTokenAndAnUnknownNetworkAreNamed() async throws {
        let seed = try await EmbeddedSeed.start(configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: InMemoryLinkNetwork()), logger: NodeEndToEndTests.logger)
        await #expect {
            try await node.connect(seed: seed.url, network: "alpha", token: "wrong")
        } throws: { error in
            "\(error)".contains("refused") && "\(error)".contains("token")
        }
        await #expect {
            try await node.connect(seed: seed.url, network: "gamma", token: "alpha-token")
        } throws: { error in
            "\(error)".contains("gamma")
        }
        await seed.stop()
    }

    @Test func aMissingHandlerNamesTheMethodThatRegistersIt() async throws {
        let seed = try await EmbeddedSeed.start(configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        let asking = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: links), logger: NodeEndToEndTests.logger)
        let asked = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: links), logger: NodeEndToEndTests.logger)
        try await asking.connect(seed: seed.url, network: "alpha", token: "alpha-token")
        try await asked.connect(seed: seed.url, network: "alpha", token: "alpha-token")
        let target = try #require(await asked.nodeID)
        let failure = await eventuallyValue { () -> ColonioError? in
            do {
                _ = try await asking.request([1], to: target, name: "missing")
                return nil
            } catch let error as ColonioError {
                if case .noHandler = error { return error }
                return nil
            } catch {
                return nil
            }
        }
        #expect(failure?.description == "the destination has no handler named 'missing': register it there with handle(_:handler:)")
        await asking.disconnect()
        await asked.disconnect()
        await seed.stop()
    }
}
