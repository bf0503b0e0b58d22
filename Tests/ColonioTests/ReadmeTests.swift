import Colonio
import ColonioSeed
import ColonioTesting
import Foundation
import Testing

/// The README's snippet, run as written against a seed with the `demo` network that `colonio seed`
/// serves, next to a second node so that its messaging has someone to reach.
/// `scripts/check-doc-snippets.py` (in `make check` and `make test`) fails when this copy and the
/// README differ, apart from two substitutions: the test seed's URL for `"ws://127.0.0.1:8080"` and
/// options that keep WebRTC on loopback for `ColonioNode()`.
@Suite(.serialized) struct ReadmeTests {
    @Test func theReadmeSnippetRunsAsWritten() async throws {
        var configuration = NodeEndToEndTests.seedConfiguration()
        configuration.networks = [NetworkDefinition(name: "demo", tokens: ["demo-token"], routing: configuration.networks[0].routing)]
        let seed = try await EmbeddedSeed.start(configuration: configuration, logger: NodeEndToEndTests.logger)
        let other = ColonioNode(options: ColonioNodeOptions(loopbackOnly: true), logger: NodeEndToEndTests.logger)
        await other.handle("echo") { message in message.payload }
        do {
            try await other.connect(seed: seed.url, network: "demo", token: "demo-token")
            try await Self.readmeSnippet(readmeSeed: seed.url, readmeOptions: ColonioNodeOptions(loopbackOnly: true))
            // The snippet's node said it left: the other node dropped it at once, no reconnection attempt.
            #expect(await eventually {
                let (links, status) = (await other.links(), await other.status())
                return links.isEmpty && status.successors.isEmpty
            })
        } catch {
            await other.disconnect()
            await seed.stop()
            throw error
        }
        await other.disconnect()
        await seed.stop()
    }

    /// The README's "Using a node" snippet (see the type's comment).
    static func readmeSnippet(readmeSeed: String, readmeOptions: ColonioNodeOptions) async throws {
        let node = ColonioNode(options: readmeOptions)   // ColonioNodeOptions(loopbackOnly: true) keeps WebRTC on 127.0.0.1
        try await node.connect(seed: readmeSeed, network: "demo", token: "demo-token")
        await node.handle("echo") { message in message.payload }  // answers requests named "echo"

        // Messaging: to the node responsible for a key (this one, while it is alone), or to a node by ID.
        let echoed = try await node.request(Array("hi".utf8), toOwnerOf: "some-key", name: "echo")
        for peer in await node.linkedPeers {                       // or NodeID(hex:) of any node of the network
            try await node.send(echoed, to: peer, name: "echo")    // one-way; request(_:to:name:) waits for the answer
        }

        // Pub/sub by place: a message reaches every subscriber inside the circle, once.
        try await node.setPosition(Position(x: 120, y: 340))      // on the network's plane, sphere or torus
        // On a sphere x is the longitude and y the latitude: Position(latitude: 35.68, longitude: 139.65)
        let chat = await node.subscribe(topic: "chat")
        let listener = Task { for await message in chat { print(String(decoding: message.payload, as: UTF8.self)) } }
        try await node.publish(Array("hello".utf8), topic: "chat", center: Position(x: 100, y: 300), radius: 50)

        // The replicated, linearizable KVS.
        let stored = try await node.kvs.put("room/7", Array("open".utf8), condition: .ifAbsent)
        if let value = try await node.kvs.get("room/7") { print(value.version, value.bytes) }   // or nil: no such key
        try await node.kvs.put("room/7", Array("shut".utf8), condition: .ifVersion(stored.version))  // compare-and-set
        try await node.kvs.delete("room/7")

        let status = await node.status()   // node ID, joined or not, ring neighbours, link counts, overlay counters
        print(status.hasJoined, status.linkCount, status.successors)
        for link in await node.links() {   // state, selected ICE candidate pair (host/srflx/prflx/relay), RTT
            print(link.peer, link.state, link.localCandidateType ?? "-", link.roundTripTime ?? "-")
        }
        listener.cancel()
        await node.disconnect()
    }
}
