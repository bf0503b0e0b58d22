import Testing
@testable import ColonioCore

/// How a node paces, orders and questions announcements: the rules that keep two disagreeing views
/// from setting off an announcement storm, and a dead node mentioned by others from staying forever.
@Suite struct GeoAnnouncementTests {
    static let space = CoordinateSpace.plane(width: 1000, height: 1000)
    static let node = NodeID(1)
    /// Four peers around the node, and a node that is only ever mentioned (it never speaks).
    static let peers: [(NodeID, Position)] = [
        (NodeID(2), Position(x: 400, y: 500)), (NodeID(3), Position(x: 600, y: 500)),
        (NodeID(4), Position(x: 500, y: 400)), (NodeID(5), Position(x: 500, y: 600)),
    ]
    static let phantom = (NodeID(9), Position(x: 520, y: 520))

    /// An announcement of `peer` listing the node itself, the other peers and, if asked, the phantom.
    static func announcement(of peer: Int, mentioningPhantom: Bool, sequence: UInt64) -> SpreadPacket {
        var neighbours: [NodeID: VersionedPosition] = [node: VersionedPosition(position: Position(x: 500, y: 500), version: 1)]
        for (index, (id, position)) in peers.enumerated() where index != peer {
            neighbours[id] = VersionedPosition(position: position, version: 1)
        }
        if mentioningPhantom { neighbours[phantom.0] = VersionedPosition(position: phantom.1, version: 1) }
        return .announce(GeoAnnounce(
            position: VersionedPosition(position: peers[peer].1, version: 1), neighbours: neighbours,
            wantReply: false, sequence: sequence))
    }

    /// The node at the centre after every peer has announced itself once (without the phantom).
    static func settledInstance(now: MonotonicTime) -> GeoInstance {
        var instance = GeoInstance(id: node, space: space)
        _ = try! instance.setPosition(Position(x: 500, y: 500), now: now)
        for index in peers.indices {
            _ = instance.receive(announcement(of: index, mentioningPhantom: false, sequence: 1), from: peers[index].0, now: now)
        }
        _ = instance.tick(now: now)  // the first periodic refresh, out of the way
        return instance
    }

    static func announcements(in directives: [GeoDirective]) -> [NodeID: [GeoAnnounce]] {
        var sent: [NodeID: [GeoAnnounce]] = [:]
        for case .send(let bytes, let destination) in directives {
            if case .announce(let announce)? = try? SpreadPacket(decoding: bytes) { sent[destination, default: []].append(announce) }
        }
        return sent
    }

    @Test func changesWithinTheIntervalAreSentOnceTogether() {
        var now = MonotonicTime(milliseconds: 10_000)
        var instance = Self.settledInstance(now: now)
        now = now.adding(milliseconds: 1_000)
        // A peer that keeps changing its mind about the phantom flips the node's neighbourhood each time.
        var directives: [GeoDirective] = []
        for round in 0..<100 {
            directives += instance.receive(
                Self.announcement(of: 0, mentioningPhantom: round % 2 == 0, sequence: UInt64(2 + round)),
                from: Self.peers[0].0, now: now)
        }
        let burst = Self.announcements(in: directives)
        #expect(!burst.isEmpty)
        #expect(burst.values.allSatisfy { $0.count == 1 }, "\(burst.mapValues(\.count))")
        // The last word (no phantom) goes out once the interval has passed, in one announcement each.
        now = now.adding(milliseconds: instance.announcementIntervalMilliseconds)
        let flushed = Self.announcements(in: instance.tick(now: now))
        #expect(flushed.values.allSatisfy { $0.count == 1 })
        #expect(flushed.values.allSatisfy { $0[0].neighbours[Self.phantom.0] == nil })
        #expect(instance.neighbours[Self.phantom.0] == nil)
        // Every node the burst reached hears the outcome, the phantom too (it was dropped).
        #expect(Set(flushed.keys) == Set(burst.keys))
    }

    @Test func anAnnouncementOvertakenByALaterOneIsIgnored() {
        let now = MonotonicTime(milliseconds: 10_000)
        var instance = Self.settledInstance(now: now)
        _ = instance.receive(Self.announcement(of: 0, mentioningPhantom: true, sequence: 5), from: Self.peers[0].0, now: now)
        #expect(instance.neighbours[Self.phantom.0] != nil)
        _ = instance.receive(Self.announcement(of: 0, mentioningPhantom: false, sequence: 4), from: Self.peers[0].0, now: now)
        #expect(instance.neighbours[Self.phantom.0] != nil)
        _ = instance.receive(Self.announcement(of: 0, mentioningPhantom: false, sequence: 6), from: Self.peers[0].0, now: now)
        #expect(instance.neighbours[Self.phantom.0] == nil)
    }

    /// The phantom drops in and out of the neighbourhood as the peer flips; it never answers, so after
    /// being asked twice it is taken as gone and later mentions of it are ignored.
    @Test func aNeighbourThatNeverAnswersIsForgottenEvenWhileItFlaps() {
        var now = MonotonicTime(milliseconds: 10_000)
        var instance = Self.settledInstance(now: now)
        var asked = 0
        var sequence: UInt64 = 2
        let step: UInt64 = 250
        for round in 0..<Int(3 * instance.answerTimeoutMilliseconds / step) {
            now = now.adding(milliseconds: step)
            var directives = instance.receive(
                Self.announcement(of: 0, mentioningPhantom: round % 2 == 0, sequence: sequence), from: Self.peers[0].0, now: now)
            sequence += 1
            directives += instance.tick(now: now)
            asked += Self.announcements(in: directives)[Self.phantom.0]?.count ?? 0
        }
        #expect(asked >= 2)
        _ = instance.receive(Self.announcement(of: 0, mentioningPhantom: true, sequence: sequence), from: Self.peers[0].0, now: now)
        #expect(instance.neighbours[Self.phantom.0] == nil)
        #expect(Set(instance.neighbours.keys) == Set(Self.peers.map(\.0)))
    }
}
