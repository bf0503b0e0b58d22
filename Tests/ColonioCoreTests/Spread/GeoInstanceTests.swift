import Testing
@testable import ColonioCore

@Suite struct GeoInstanceTests {
    static func network(_ count: Int = 40) -> GeoSimulation {
        let space = CoordinateSpace.plane(width: 1000, height: 1000)
        var sim = GeoSimulation(space: space, seed: 9)
        var random = SplitMix64(seed: 10)
        sim.bootstrap((0..<count).map { _ in randomPosition(in: space, using: &random) })
        _ = sim.run()
        for node in sim.ids { sim.instances[node]!.subscribe("t") }
        return sim
    }

    @Test func requireReceiverReportsSuccessOrNoReceiver() {
        var sim = Self.network()
        let publisher = sim.ids[0]
        let hit = sim.publish(from: publisher, center: Position(x: 500, y: 500), radius: 400,
                              options: SpreadOptions(requireReceiver: true))
        _ = sim.run()
        #expect(sim.outcomes[hit] == [.publishSucceeded(hit)])
        // A circle with nobody inside: the node nearest its centre reports at once.
        let nodePosition = sim.positions[sim.ids[1]]!
        let empty = sim.publish(from: publisher, center: Position(x: nodePosition.x, y: nodePosition.y), radius: 0,
                                options: SpreadOptions(requireReceiver: true))
        _ = sim.run()
        #expect(sim.outcomes[empty] == [.publishSucceeded(empty)])  // node 1 itself sits on the centre
        let far = sim.publish(from: publisher, center: Position(x: 0.5, y: 0.5), radius: 0.1,
                              options: SpreadOptions(requireReceiver: true))
        _ = sim.run()
        #expect(sim.outcomes[far] == [.publishFailed(far, .noReceiver)])
    }

    @Test func largePayloadsAreFetchedBySubscribers() {
        var sim = Self.network()
        let payload = (0..<5000).map { UInt8(truncatingIfNeeded: $0) }
        let subscribers = Set(sim.ids.filter { $0 != sim.ids[3] })
        sim.instances[sim.ids[3]]!.unsubscribe("t")
        let count = GeoInstanceSimulationTests.checkCircle(
            &sim, publisher: sim.ids[0], center: Position(x: 500, y: 500), radius: 350, subscribers: subscribers,
            payload: payload)
        #expect(count > 0)
    }

    @Test func invalidPublicationsAreRejected() {
        var instance = GeoInstance(id: NodeID(1), space: .sphere(radius: 6_371_000))
        #expect(throws: SpreadError.positionNotSet) {
            try instance.publish(topic: "t", payload: [], center: Position(latitude: 0, longitude: 0), radius: 1, now: .zero)
        }
        _ = try! instance.setPosition(Position(latitude: 1, longitude: 1), now: .zero)
        #expect(throws: SpreadError.invalidGeometry(.latitudeOutOfRange(91))) {
            try instance.publish(topic: "t", payload: [], center: Position(latitude: 91, longitude: 0), radius: 1, now: .zero)
        }
        #expect(throws: SpreadError.invalidGeometry(.invalidRadius(-.infinity))) {
            try instance.publish(topic: "t", payload: [], center: Position(latitude: 0, longitude: 0), radius: -.infinity, now: .zero)
        }
        #expect(throws: SpreadError.payloadTooLarge(size: 1024 * 1024 + 1, limit: 1024 * 1024)) {
            try instance.publish(topic: "t", payload: Array(repeating: 0, count: 1024 * 1024 + 1),
                                 center: Position(latitude: 0, longitude: 0), radius: 1, now: .zero)
        }
        #expect(throws: GeometryError.longitudeOutOfRange(-181)) {
            try instance.setPosition(Position(latitude: 0, longitude: -181), now: .zero)
        }
        // Deliver to self only when asked.
        instance.subscribe("t")
        let (id, directives) = try! instance.publish(topic: "t", payload: [7], center: Position(latitude: 1, longitude: 1),
                                                     radius: 10, options: SpreadOptions(deliverToSelf: true), now: .zero)
        #expect(directives.contains { if case .deliver(let d) = $0 { return d.id == id && d.payload == [7] } else { return false } })
        let (_, silent) = try! instance.publish(topic: "t", payload: [7], center: Position(latitude: 1, longitude: 1),
                                                radius: 10, now: .zero)
        #expect(!silent.contains { if case .deliver = $0 { return true } else { return false } })
    }

    @Test func packetsRoundTripAndGarbageIsDropped() throws {
        let id = SpreadMessageID(origin: NodeID(high: 1, low: 2), sequence: 3)
        let packets: [SpreadPacket] = [
            .announce(GeoAnnounce(position: VersionedPosition(position: Position(x: 1, y: 2), version: 4),
                                  neighbours: [NodeID(5): VersionedPosition(position: Position(x: 3, y: 4), version: 1)],
                                  wantReply: true, sequence: 12)),
            .forward(SpreadForward(id: id, topic: "topic", center: Position(x: 1, y: 1), radius: 2.5,
                                   senderPosition: Position(x: 0, y: 0), payload: [1, 2], announcedSize: 0,
                                   wantReceipt: true, hops: 7, covered: [NodeID(8), NodeID(9)])),
            .receipt(SpreadReceipt(id: id, outcome: .noNodeInside)),
            .branchReport(SpreadBranchReport(id: id, reached: true)),
            .branchReport(SpreadBranchReport(id: id, reached: false)),
            .fetch(id),
            .payload(SpreadPayload(id: id, found: true, payload: [9, 9])),
        ]
        for packet in packets {
            #expect(try SpreadPacket(decoding: packet.encoded()) == packet)
        }
        var instance = GeoInstance(id: NodeID(1), space: .plane(width: 10, height: 10))
        #expect(instance.receive([0xFF, 0xFF, 0xFF], from: NodeID(2), now: .zero).isEmpty)
        #expect(throws: WireDecodingError.self) { try SpreadPacket(decoding: [0x0A, 0x05, 0x01]) }
    }
}
