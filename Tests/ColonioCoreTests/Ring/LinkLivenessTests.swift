import Testing
@testable import ColonioCore

private let a = NodeID(1 << 100)
private let b = NodeID(2 << 100)
private let c = NodeID(3 << 100)
private let d = NodeID(4 << 100)
private let e = NodeID(5 << 100)

/// Five nodes on a settled ring (each links to all others: two successors and two predecessors).
private func settledRing() -> NodeMachineWiring {
    var wiring = NodeMachineWiring(ids: [a, b, c, d, e])
    wiring.start(a, peers: [])
    wiring.start(b, peers: [a])
    wiring.start(c, peers: [b, a])
    wiring.start(d, peers: [c, a])
    wiring.start(e, peers: [d, a])
    wiring.advance(to: 10_000)
    wiring.seen.removeAll()
    return wiring
}

/// The failure detector of ``NodeMachine`` (``LinkLiveness``) with the default settings: keepalives
/// every 500 ms, suspicion after 1 s of silence, death after 2 s unless another node vouches.
@Suite struct LinkLivenessTests {
    @Test func aCrashedPeerIsDeclaredDeadByEveryNeighbourWithinTheLinkTimeout() {
        var wiring = settledRing()
        for node in [a, b, c, e] { #expect(wiring.machines[node]!.ring!.isLinked(d)) }
        wiring.crashed = [d]
        let start = wiring.now.milliseconds
        wiring.advance(to: start + 1_750)
        for node in [a, b, c, e] { #expect(!wiring.disconnected(node, from: d)) }
        // The detector runs on ticks (250 ms here): dead at the first tick at or past 2 s of silence.
        wiring.advance(to: start + 2_250)
        for node in [a, b, c, e] {
            #expect(wiring.disconnected(node, from: d))
            #expect(!wiring.machines[node]!.ring!.isLinked(d))
            #expect(wiring.machines[node]!.statistics.peersDeclaredDead == 1)
            #expect(wiring.seen.contains { $0.node == node && $0.directive == .peerLost(d) })
        }
        // Nobody else was suspected meanwhile.
        for node in [a, b, c, e] { #expect(wiring.machines[node]!.statistics.suspicions == 1) }
    }

    @Test func aPeerOthersStillHearFromIsGivenTheVouchedTimeout() {
        var wiring = settledRing()
        // Only the direction d -> a is lost: a lossy or congested path, while d is alive.
        wiring.dropFramesOn = [[d, a]]
        let start = wiring.now.milliseconds
        wiring.advance(to: start + 10_000)
        #expect(!wiring.disconnected(a, from: d))
        #expect(wiring.machines[a]!.statistics.vouches > 0)
        #expect(wiring.machines[a]!.statistics.peersDeclaredDead == 0)
        // Vouching has a limit: a link silent for the vouched timeout (15 s) is closed all the same.
        wiring.advance(to: start + 15_250)
        #expect(wiring.disconnected(a, from: d))
        // Nobody else dropped d.
        for node in [b, c, e] { #expect(!wiring.disconnected(node, from: d)) }
    }

    @Test func aBrieflyPausedPeerIsSuspectedButNotDeclaredDead() {
        var wiring = settledRing()
        wiring.paused = [d]
        let start = wiring.now.milliseconds
        wiring.advance(to: start + 1_500)
        for node in [a, b, c, e] { #expect(wiring.machines[node]!.statistics.suspicions == 1) }
        wiring.resume(d)
        wiring.advance(to: start + 5_000)
        for node in [a, b, c, e] {
            #expect(!wiring.disconnected(node, from: d))
            #expect(wiring.machines[node]!.statistics.refutedSuspicions == 1)
        }
        #expect(wiring.machines[d]!.ring!.linkCount == 4)
    }

    @Test func aNodeWakingFromALongPauseDoesNotDeclareItsPeersDead() {
        var wiring = settledRing()
        wiring.paused = [d]
        let start = wiring.now.milliseconds
        wiring.advance(to: start + 1_900)
        // d wakes after 1.9 s and ticks before reading what waited: its peers' silence is its own.
        wiring.resume(d)
        for peer in [a, b, c, e] { #expect(!wiring.disconnected(d, from: peer)) }
        #expect(wiring.machines[d]!.statistics.suspicions == 0)
        wiring.advance(to: start + 5_000)
        #expect(wiring.machines[d]!.ring!.linkCount == 4)
        #expect(wiring.machines[d]!.statistics.peersDeclaredDead == 0)
    }

    @Test func livenessQueriesAreAnsweredOnlyForLinkedSubjects() throws {
        var wiring = settledRing()
        let stranger = NodeID(9 << 100)
        for subject in [d, stranger] {
            let query = OverlayPacket(
                destination: a, mode: .toNeighbour, source: b, packetID: 1_000 + UInt64(subject == d ? 1 : 2),
                body: OverlayBody.livenessQuery(LivenessQuery(subject: subject)).encoded())
            let out = wiring.machines[a]!.received(query.encoded(), from: b, now: wiring.now)
            let reports = try out.compactMap { directive -> LivenessReport? in
                guard case .transmit(let bytes, let peer) = directive, peer == b else { return nil }
                guard case .livenessReport(let report) = try OverlayBody(decoding: OverlayPacket(decoding: bytes).body)
                else { return nil }
                return report
            }
            #expect(reports.count == 1)
            #expect(reports.first?.subject == subject)
            #expect((reports.first?.heardMillisecondsAgo != nil) == (subject == d))
        }
    }

    @Test func reportsRoundTripOnTheWire() throws {
        for report in [LivenessReport(subject: d, heardMillisecondsAgo: 0), LivenessReport(subject: e, heardMillisecondsAgo: nil)] {
            #expect(try LivenessReport(decoding: report.encoded()) == report)
        }
        #expect(try LivenessQuery(decoding: LivenessQuery(subject: c).encoded()) == LivenessQuery(subject: c))
        #expect(throws: WireDecodingError.self) { try LivenessReport(decoding: [UInt8]()) }
    }

    @Test func nodesRefuseALinkTimeoutShorterThanTwoKeepalives() throws {
        var settings = RoutingSettings()
        settings.keepaliveIntervalMilliseconds = 1_500
        #expect(throws: WireDecodingError.self) { try RoutingSettings(decoding: settings.encoded()) }
        settings.linkTimeoutMilliseconds = 3_000
        #expect(try RoutingSettings(decoding: settings.encoded()) == settings)
    }
}
