import ColonioCore
@testable import ColonioSeed
import Foundation
import Testing

@testable import ColonioSeedPostgres

/// The registry's pure parts, without a database.
struct RegistryPartsTests {
    @Test func notificationsRoundTripAndRefuseGarbage() throws {
        let id = NodeID(high: 0x0123_4567_89AB_CDEF, low: 42)
        let cases: [SeedNotification] = [
            .signal(network: "alpha.beta-1", to: id, frame: Array(0...255) + [0, 10, 13]),
            .queuedSignal(id: 9_000_000_001),
            .close(network: "alpha", nodeID: id, connection: 17),
        ]
        for notification in cases { #expect(SeedNotification(payload: notification.payload) == notification) }
        for garbage in ["", "x", "s", "salpha\nnot-hex\nAAAA", "q12a", "calpha\n\(id.hex)"] {
            #expect(SeedNotification(payload: garbage) == nil)
        }
    }

    @Test func nodeIDBytesKeepRingOrder() throws {
        var generator = SystemRandomNumberGenerator()
        let ids = (0..<200).map { _ in NodeID.random(using: &generator) } + [.zero, .max]
        let encoded = ids.map { Array(NodeIDBytes.encode($0).readableBytesView) }
        for (id, bytes) in zip(ids, encoded) {
            #expect(NodeIDBytes.decode(NodeIDBytes.encode(id)) == id)
            #expect(bytes.count == 16)
        }
        let byBytes = zip(ids, encoded).sorted { $0.1.lexicographicallyPrecedes($1.1) }.map(\.0)
        #expect(byBytes == ids.sorted())
    }

    /// The four slices the database returns give the same bootstrap peers as the in-memory ring.
    @Test func ringNeighboursMatchTheInMemoryRegistry() throws {
        var generator = SystemRandomNumberGenerator()
        for count in [0, 1, 2, 3, 5, 8, 40] {
            let ring = (0..<count).map { _ in NodeID.random(using: &generator) }.sorted()
            for (predecessors, successors) in [(1, 1), (2, 3), (4, 4), (8, 2)] {
                let asking = NodeID.random(using: &generator)
                let expected = InMemoryNetworkRegistry.nearest(
                    at: InMemoryNetworkRegistry.insertionIndex(of: asking, in: ring), in: ring,
                    predecessors: predecessors, successors: successors, excluding: asking)
                var slices = RingNeighbours()
                slices.after = Array(ring.filter { $0 > asking }.prefix(successors))
                slices.first = Array(ring.prefix(successors + 1))
                slices.before = Array(ring.filter { $0 < asking }.reversed().prefix(predecessors))
                slices.last = Array(ring.reversed().prefix(predecessors + 1))
                let found = slices.nearest(to: asking, predecessors: predecessors, successors: successors)
                #expect(found == expected, "ring of \(count), \(predecessors)/\(successors)")
            }
        }
    }

    @Test func registryConfigurationParsesAndKeepsPasswordsOut() throws {
        func decode(_ registry: String) throws(SeedConfigurationError) -> SeedConfiguration {
            try SeedConfiguration.decode(
                json: Data(#"{"networks":[{"name":"a","tokens":["t"]}],"registry":\#(registry)}"#.utf8))
        }
        #expect(try decode(#""memory""#).registry == .inMemory)
        let postgres = try decode(#"{"postgres":"postgres://seed@db:5433/colonio","passwordFile":"pw","seedTimeoutSeconds":5}"#)
        #expect(
            postgres.registry
                == .postgres(
                    PostgresRegistrySettings(url: "postgres://seed@db:5433/colonio", passwordFile: "pw", seedTimeoutSeconds: 5)))
        #expect(throws: SeedConfigurationError.self) { try decode(#"{"postgres":"postgres://seed:secret@db/colonio"}"#) }
        #expect(throws: SeedConfigurationError.self) { try decode(#""redis""#) }
        #expect(throws: SeedConfigurationError.self) { try decode(#"{"postgres":"mysql://seed@db/colonio"}"#) }
    }
}
