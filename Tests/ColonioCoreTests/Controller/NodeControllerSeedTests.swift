import ColonioCore
import Testing

/// The seed session rules of ``NodeController``: refusals, grace after a seed return, peer search,
/// resume and certificate renewal.
struct NodeControllerSeedTests {
    let low = NodeID(high: 1, low: 0)
    let high = NodeID(high: 2, low: 0)

    private func count(_ frame: SeedFrame, in log: [NodeAction]) -> Int {
        log.filter { $0 == .sendToSeed(frame) }.count
    }

    /// The seed does not know the peer of a link being opened: the attempt fails at once, and pub/sub
    /// forgets the peer too (the browser node once did not).
    @Test func anUnknownPeerFailsTheAttemptAndIsForgotten() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        _ = try network.nodes[a].controller.setPosition(Position(x: 1, y: 1), now: network.now)
        network.carryOut(network.peersFound([high], at: a), at: a)
        network.run()
        // `high` never signed in: the seed refused the offer.
        #expect(network.link(a, to: high) == nil)
        #expect(network.nodes[a].log.contains { if case .closeLink(high, _) = $0 { true } else { false } })
        #expect(network.nodes[a].controller.session?.geo.neighbours[high] == nil)
    }

    /// Soon after the seed came back, its "unknown peer" does not end a link attempt.
    @Test func anUnknownPeerIsNotFinalJustAfterTheSeedReturned() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        network.carryOut(network.nodes[a].controller.seedClosed(now: network.now), at: a)
        network.carryOut(network.reopenSeed(a), at: a)
        network.run()
        #expect(network.nodes[a].log.contains(.seedRestored))
        #expect(network.nodes[a].controller.nodeID == low)
        let session = try #require(network.link(a, to: high)?.session ?? {
            network.carryOut(network.peersFound([high], at: a), at: a)
            network.run()
            return network.link(a, to: high)?.session
        }())
        #expect(network.link(a, to: high)?.phase == .awaitingAnswer)
        // Past the grace (twice the longest peer-search delay by default) the same refusal ends it.
        network.now = network.now.adding(milliseconds: NodeControllerSettings().seedReturnGraceMilliseconds + 1)
        let refused = network.nodes[a].controller.seedFrame(
            .error(SeedErrorMessage(code: .unknownPeer, message: "unknown", peer: high, sessionID: session)),
            now: network.now, unixSeconds: network.unixSeconds)
        #expect(refused.contains(.closeLink(peer: high, session: session)))
    }

    /// A node alone asks the seed for peers, one search at a time, ever less often.
    @Test func anAloneNodeSearchesForPeersOneAtATime() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low, settings: NodeControllerSettings(peerSearchFirstDelayMilliseconds: 1_000, peerSearchMaximumDelayMilliseconds: 4_000))
        // The seed does not answer peer searches: while one is out, no other goes.
        network.seedUp.remove(a)
        var log: [NodeAction] = []
        for _ in 0..<100 {
            network.now = network.now.adding(milliseconds: 100)
            log += network.nodes[a].controller.tick(now: network.now, unixSeconds: network.unixSeconds)
        }
        #expect(count(.findPeers, in: log) == 1)
        // Answered (nobody there), the searches go on at 2 s, then 4 s.
        log = network.nodes[a].controller.seedFrame(.peersFound([]), now: network.now, unixSeconds: network.unixSeconds)
        var times: [UInt64] = []
        for _ in 0..<200 {
            network.now = network.now.adding(milliseconds: 100)
            let actions = network.nodes[a].controller.tick(now: network.now, unixSeconds: network.unixSeconds)
            if actions.contains(.sendToSeed(.findPeers)) {
                times.append(network.now.milliseconds(since: .zero))
                _ = network.nodes[a].controller.seedFrame(.peersFound([]), now: network.now, unixSeconds: network.unixSeconds)
            }
        }
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.count >= 3 && gaps.allSatisfy { $0 == 4_000 })
    }

    /// A peer search that names a live node brings the alone node back into the network.
    @Test func aPeerSearchRejoinsTheNetwork() throws {
        let network = ControllerNetwork()
        let (a, b) = network.addStrangers(low, high)
        #expect(network.linkedPeers(a).isEmpty)
        network.advance(milliseconds: 1_500)
        #expect(network.linkedPeers(a) == [high])
        #expect(network.linkedPeers(b) == [low])
    }

    /// A seed that cannot restore the ID: the node signs in again under a new one, its application
    /// requests fail as `networkClosed`.
    /// A resume claim signs the challenge of the connection it is made on, whichever comes first: the
    /// shell's "reopened" or the seed's challenge; a challenge of an earlier connection is never used.
    @Test func aResumeClaimAnswersThisConnectionsChallenge() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        let key = network.nodes[a].key
        _ = network.nodes[a].controller.seedFrame(.challenge(nonce: [1, 1]), now: network.now, unixSeconds: network.unixSeconds)
        _ = network.nodes[a].controller.seedClosed(now: network.now)
        // Reopened before the new connection's challenge arrived: nothing to sign yet.
        #expect(network.nodes[a].controller.seedReopened(token: "t", publicKey: key, unixSeconds: network.unixSeconds).isEmpty)
        let actions = network.nodes[a].controller.seedFrame(
            .challenge(nonce: [2, 2]), now: network.now, unixSeconds: network.unixSeconds + 3)
        guard case .signAndSendResume(let signedBytes, let request) = try #require(actions.first) else {
            Issue.record("expected a claim to sign, got \(actions)")
            return
        }
        let claim = try #require(request.resume)
        #expect(claim.challenge == [2, 2])
        #expect(claim.unixSeconds == network.unixSeconds + 3)
        #expect(signedBytes == claim.signedBytes)
        #expect(claim.certificate.nodeID == low)
    }

    @Test func aRefusedResumeSignsInAgain() throws {
        let network = ControllerNetwork()
        network.addNode(id: high)
        let a = network.addNode(id: low)
        // A request in flight (its frames are never carried out).
        let started = try network.nodes[a].controller.request(name: "echo", payload: [], to: .node(high), now: network.now)
        _ = network.nodes[a].controller.seedClosed(now: network.now)
        let resume = network.reopenSeed(a)
        #expect(resume.count == 1)
        let actions = network.nodes[a].controller.seedFrame(
            .error(SeedErrorMessage(code: .resumeRefused, message: "no")), now: network.now, unixSeconds: network.unixSeconds)
        #expect(actions.contains(.requestCompleted(requestID: started.requestID, outcome: .failure(.networkClosed))))
        #expect(actions.contains { if case .sendToSeed(.signIn(let request)) = $0 { request.resume == nil } else { false } })
        #expect(network.nodes[a].controller.session == nil)
        network.nodes[a].id = NodeID(high: 5, low: 0)
        network.registry[low] = nil
        network.carryOut(actions, at: a)
        network.run()
        #expect(network.nodes[a].controller.nodeID == NodeID(high: 5, low: 0))
    }

    /// The certificate is renewed halfway through its life, and again 30 s later while the seed does not answer.
    @Test func theCertificateIsRenewedHalfwayThroughItsLife() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: low)
        network.seedUp.remove(a)
        var log: [NodeAction] = []
        for second in 1...1_900 {
            log += network.nodes[a].controller.tick(now: network.now.adding(milliseconds: UInt64(second) * 1_000), unixSeconds: network.unixSeconds + UInt64(second))
        }
        // Issued for an hour: due at 1,800 s, again at 1,830 s and 1,860 s, 1,890 s.
        #expect(count(.renewCertificate, in: log) == 4)
    }

    @Test func aRefusedSignInIsReported() throws {
        var controller = NodeController(randomSeed: 1)
        _ = try controller.signIn(network: "n", token: "wrong", publicKey: [])
        let refusal = SeedErrorMessage(code: .badToken, message: "wrong token")
        #expect(controller.seedFrame(.error(refusal), now: .zero, unixSeconds: 0) == [.signInFailed(refusal)])
        #expect(throws: NodeCallError.notConnected) { try controller.send(name: "x", payload: [], to: .node(low), now: .zero) }
        #expect(controller.seedBytes([0xFF], now: .zero, unixSeconds: 0).count == 1)
    }
}

/// Reopening a lost seed connection, paced by the controller for both shells.
struct NodeControllerReconnectionTests {
    /// Times (ms) at which the controller asked for a connection, ticking every 100 ms until `end`;
    /// every attempt fails at once.
    private func attempts(_ controller: inout NodeController, from start: UInt64, until end: UInt64) -> [UInt64] {
        var times: [UInt64] = []
        var time = start
        while time < end {
            time += 100
            let now = MonotonicTime(milliseconds: time)
            if controller.tick(now: now, unixSeconds: 1_000_000).contains(.connectToSeed) {
                times.append(time)
                _ = controller.seedClosed(now: now)
            }
        }
        return times
    }

    @Test func aLostSeedIsRetriedWithAJitteredDoublingDelayAndTheIDIsClaimedBack() throws {
        let network = ControllerNetwork()
        let a = network.addNode(id: NodeID(high: 1, low: 0), settings: NodeControllerSettings(
            peerSearchFirstDelayMilliseconds: 1_000, peerSearchMaximumDelayMilliseconds: 4_000))
        var controller = network.nodes[a].controller
        _ = controller.seedClosed(now: .zero)
        let times = attempts(&controller, from: 0, until: 30_000)
        let gaps = zip(times, [0] + times).map { $0 - $1 }
        // First after 0.5-1.5 s, then 2 s, 4 s, 4 s ... each jittered by +-50%.
        #expect(gaps.count >= 6)
        #expect((500...1_600).contains(gaps[0]))
        #expect((1_000...3_100).contains(gaps[1]))
        #expect(gaps.dropFirst(2).allSatisfy { (2_000...6_100).contains($0) })
        // The next attempt opens: the node claims its ID back (the shell signs the claim).
        let due = times.last! + 6_100
        var opened = false
        for time in stride(from: times.last! + 100, through: due, by: 100) {
            if controller.tick(now: MonotonicTime(milliseconds: time), unixSeconds: 1_000_000).contains(.connectToSeed) {
                _ = controller.seedFrame(.challenge(nonce: [7]), now: MonotonicTime(milliseconds: time), unixSeconds: 1_000_000)
                let reopened = controller.seedReopened(token: "t", publicKey: network.nodes[a].key, unixSeconds: 1_000_000)
                #expect(reopened.contains { if case .signAndSendResume = $0 { true } else { false } })
                opened = true
                break
            }
        }
        #expect(opened)
        // Connected again: no more attempts.
        #expect(attempts(&controller, from: due, until: due + 20_000).isEmpty)
    }

    @Test func aNodeThatNeverSignedInDoesNotReconnect() throws {
        var controller = NodeController(randomSeed: 1)
        _ = try controller.signIn(network: "n", token: "t", publicKey: [])
        _ = controller.seedClosed(now: .zero)
        #expect(attempts(&controller, from: 0, until: 60_000).isEmpty)
    }
}
