@testable import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import ColonioWebRTC
import Testing

/// The in-memory transport on its own, then whole nodes over it.
@Suite(.serialized) struct InMemoryLinkTests {
    /// An offerer and an answerer linked through `network`, both open.
    static func connectedPair(_ network: InMemoryLinkNetwork) async throws -> (InMemoryLink, InMemoryLink) {
        let offerer = try #require(try network.makeLink(logger: NodeEndToEndTests.logger) as? InMemoryLink)
        let answerer = try #require(try network.makeLink(logger: NodeEndToEndTests.logger) as? InMemoryLink)
        let answer = try await answerer.accept(offer: try await offerer.makeOffer())
        try await offerer.setAnswer(answer)
        return (offerer, answerer)
    }

    /// Events up to and including `.opened`.
    static func untilOpened(_ link: InMemoryLink) async -> [PeerLinkEvent] {
        var seen: [PeerLinkEvent] = []
        for await event in link.events {
            seen.append(event)
            if event == .opened || event == .closed { break }
        }
        return seen
    }

    @Test func messagesArriveInOrderBothWaysAndCloseReachesTheOtherSide() async throws {
        let network = InMemoryLinkNetwork()
        let (offerer, answerer) = try await Self.connectedPair(network)
        #expect(await Self.untilOpened(offerer).last == .opened)
        #expect(await Self.untilOpened(answerer).last == .opened)
        #expect(network.pendingOffers == 0)
        for index in 0..<1_000 { try await offerer.send([UInt8(index % 256), UInt8(index / 256)] as [UInt8]) }
        try await answerer.send([42])
        var received: [[UInt8]] = []
        for await event in answerer.events {
            if case .message(let bytes) = event { received.append(bytes) }
            if received.count == 1_000 { break }
        }
        let sent: [[UInt8]] = (0..<1_000).map { (index: Int) -> [UInt8] in [UInt8(index % 256), UInt8(index / 256)] }
        #expect(received == sent)
        var offererEvents = offerer.events.makeAsyncIterator()
        let reply = await offererEvents.next()
        #expect(reply == .message([42]))
        answerer.close()
        var rest: [PeerLinkEvent] = []
        while let event = await offererEvents.next() { rest.append(event) }
        #expect(rest == [.stateChanged(.closed), .closed])
        await #expect(throws: InMemoryLinkError.closed) { try await offerer.send([1]) }
        #expect(await offerer.statistics() == nil)
    }

    @Test func foreignOrStaleDescriptionsAreTypedErrors() async throws {
        let network = InMemoryLinkNetwork()
        let other = InMemoryLinkNetwork()
        let offerer = try #require(try network.makeLink(logger: NodeEndToEndTests.logger) as? InMemoryLink)
        let offer = try await offerer.makeOffer()
        // An offer of another in-memory network, a WebRTC-like SDP, and an answer without an offer.
        let stranger = try #require(try other.makeLink(logger: NodeEndToEndTests.logger) as? InMemoryLink)
        await #expect(throws: InMemoryLinkError.self) { _ = try await stranger.accept(offer: offer) }
        let plain = try #require(try network.makeLink(logger: NodeEndToEndTests.logger) as? InMemoryLink)
        await #expect(throws: InMemoryLinkError.self) { _ = try await plain.accept(offer: "v=0\r\na=fingerprint:sha-256 AB:CD\r\n") }
        await #expect(throws: InMemoryLinkError.self) { try await plain.setAnswer(offer) }
        // Closing the offerer withdraws its offer.
        offerer.close()
        #expect(network.pendingOffers == 0)
        let late = try #require(try network.makeLink(logger: NodeEndToEndTests.logger) as? InMemoryLink)
        await #expect(throws: InMemoryLinkError.self) { _ = try await late.accept(offer: offer) }
    }

    /// Twenty-four nodes linked in memory (signed in to a real seed): the same node code as over WebRTC
    /// forms the ring, answers requests between all pairs, stores KVS values, and routes around a crash.
    @Test func nodesOverInMemoryLinksFormTheOverlay() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(linkTimeoutMilliseconds: 4_000), logger: NodeEndToEndTests.logger)
        let links = InMemoryLinkNetwork()
        var nodes: [ColonioNode] = []
        var ids: [NodeID] = []
        for _ in 0..<24 {
            let node = ColonioNode(options: ColonioNodeOptions(inMemoryLinks: links), logger: NodeEndToEndTests.logger)
            try await node.connect(seed: seed.url, network: "alpha", token: "alpha-token")
            let id = try #require(await node.nodeID)
            await node.handle("echo") { message in Array(id.hex.utf8) + message.payload }
            nodes.append(node)
            ids.append(id)
        }
        for (index, node) in nodes.enumerated() {
            for (otherIndex, target) in ids.enumerated() where otherIndex != index {
                let reply = try await retrying { try await node.request([UInt8(index)], to: target, name: "echo") }
                #expect(reply == Array(target.hex.utf8) + [UInt8(index)])
            }
        }
        for (index, node) in nodes.enumerated() {
            _ = try await retrying { try await node.kvs.put("key-\(index)", [UInt8(index)]) }
        }
        for index in nodes.indices {
            let value = try await nodes[(index + 7) % nodes.count].kvs.get("key-\(index)")
            #expect(value?.bytes == [UInt8(index)])
        }
        let linkStatus = await nodes[0].links()
        // Links still being set up (a new long link, say) have no selected candidate pair yet.
        let authenticated = linkStatus.filter { $0.state == .authenticated }
        #expect(!authenticated.isEmpty)
        #expect(authenticated.allSatisfy { $0.localCandidateType == .host && $0.iceServerErrors.isEmpty })

        await nodes[5].crash()
        for (index, node) in nodes.enumerated() where index != 5 {
            let target = ids[(index == 4 ? 6 : (index + 1) % nodes.count)]
            let reply = try await retrying { try await node.request([9], to: target, name: "echo") }
            #expect(reply == Array(target.hex.utf8) + [9])
        }
        await #expect(throws: ColonioError.self) { try await nodes[0].request([1], to: ids[5], name: "echo") }
        for (index, node) in nodes.enumerated() where index != 5 { await node.disconnect() }
        await seed.stop()
    }
}
