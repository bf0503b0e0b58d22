import Colonio
import ColonioSeed
import ColonioTesting
import Testing

/// `connect(seeds:)`: the first seed that answers signs the node in; a refusal is final.
@Suite(.timeLimit(.minutes(1))) struct SeedListTests {
    @Test func anUnreachableFirstSeedIsSkipped() async throws {
        let stopped = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let deadURL = stopped.url
        await stopped.stop()
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: InMemoryLinkNetwork()), logger: NodeEndToEndTests.logger)
        try await node.connect(seeds: [deadURL, seed.url], network: "alpha", token: "alpha-token")
        #expect(await node.nodeID != nil)
        await node.disconnect()
        await seed.stop()
    }

    @Test func aRefusalEndsTheListAndAnEmptyListIsAnError() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let other = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: InMemoryLinkNetwork()), logger: NodeEndToEndTests.logger)
        await #expect {
            try await node.connect(seeds: [seed.url, other.url], network: "alpha", token: "wrong")
        } throws: { error in
            "\(error)".contains("token")
        }
        await #expect {
            try await node.connect(seeds: [], network: "alpha", token: "alpha-token")
        } throws: { error in
            "\(error)".contains("no seed URL")
        }
        await seed.stop()
        await other.stop()
    }
}
