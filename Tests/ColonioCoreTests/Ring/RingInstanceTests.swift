import Testing
@testable import ColonioCore

private func id(_ value: UInt128) -> NodeID { NodeID(value) }
private func at(_ milliseconds: UInt64) -> MonotonicTime { MonotonicTime(milliseconds: milliseconds) }

private func connects(_ directives: [RingDirective]) -> [NodeID] {
    directives.compactMap { if case .connect(let peer) = $0 { return peer } else { return nil } }
}

private func disconnects(_ directives: [RingDirective]) -> [NodeID] {
    directives.compactMap { if case .disconnect(let peer) = $0 { return peer } else { return nil } }
}

private func lookups(_ directives: [RingDirective]) -> [NodeID] {
    directives.compactMap { if case .lookupOwner(let target) = $0 { return target } else { return nil } }
}

private func states(_ directives: [RingDirective], to peer: NodeID) -> [LinkState] {
    directives.compactMap {
        if case .sendLinkState(let state, let target) = $0, target == peer { return state } else { return nil }
    }
}

/// A ring at 1000 linked to its neighbours 800, 900 (before) and 1100, 1200 (after).
private func linkedRing(settings: RoutingSettings = RoutingSettings()) -> RingInstance {
    var ring = RingInstance(localID: id(1000), settings: settings)
    _ = ring.start(bootstrapPeers: [id(800), id(900), id(1100), id(1200)], now: .zero)
    for peer in [id(800), id(900), id(1100), id(1200)] { _ = ring.linkOpened(peer, now: at(10)) }
    _ = ring.ownerFound(for: id(999), reply: OwnerReply(owner: id(900)), now: at(20))
    return ring
}

@Suite struct RingInstanceTests {
    @Test func aNodeWithoutBootstrapPeersIsAloneAndOwnsEverything() {
        var ring = RingInstance(localID: id(1000), settings: RoutingSettings())
        #expect(ring.start(bootstrapPeers: [], now: .zero).isEmpty)
        #expect(ring.hasJoined)
        #expect(ring.nextHop(toward: id(5)) == .local)
        #expect(ring.nextHop(toward: .max) == .local)
    }

    @Test func bootstrapConnectsToTheNearestPeersOnBothSides() {
        var ring = RingInstance(localID: id(1000), settings: RoutingSettings())
        let directives = ring.start(bootstrapPeers: [id(5000), id(800), id(1100), id(900), id(1200), id(1000)], now: .zero)
        #expect(Set(connects(directives)) == [id(800), id(900), id(1100), id(1200)])
        #expect(ring.successors == [id(1100), id(1200)])
        #expect(ring.predecessors == [id(900), id(800)])
        #expect(!ring.hasJoined)
    }

    @Test func theFirstLinkAnnouncesItselfAndLooksUpTheJoinPosition() {
        var ring = RingInstance(localID: id(1000), settings: RoutingSettings())
        _ = ring.start(bootstrapPeers: [id(1100), id(900)], now: .zero)
        let first = ring.linkOpened(id(1100), now: at(5))
        #expect(lookups(first) == [id(999)])
        #expect(states(first, to: id(1100)).map(\.role) == [.neighbour])
        let second = ring.linkOpened(id(900), now: at(6))
        #expect(lookups(second).isEmpty)  // one join lookup at a time
        let state = states(second, to: id(900)).last
        // With only two other nodes, both lists wrap around the ring.
        #expect(state?.successors == [id(1100), id(900)])
        #expect(state?.predecessors == [id(900), id(1100)])
        _ = ring.ownerFound(for: id(999), reply: OwnerReply(owner: id(900), successors: [id(950)]), now: at(7))
        #expect(ring.hasJoined)
        #expect(ring.predecessors == [id(950), id(900)])
    }

    @Test func greedyRoutingPicksTheLinkedNodeClosestBeforeTheTarget() {
        var ring = linkedRing()
        _ = ring.linkOpened(id(5000), now: at(30))
        #expect(ring.nextHop(toward: id(1000)) == .local)
        #expect(ring.nextHop(toward: id(1050)) == .local)
        #expect(ring.nextHop(toward: id(1100)) == .forward(id(1100)))
        #expect(ring.nextHop(toward: id(1150)) == .forward(id(1100)))
        #expect(ring.nextHop(toward: id(4999)) == .forward(id(1200)))
        #expect(ring.nextHop(toward: id(6000)) == .forward(id(5000)))
        #expect(ring.nextHop(toward: id(850)) == .forward(id(800)))
        #expect(ring.nextHop(toward: id(999)) == .forward(id(900)))
        #expect(ring.nextHop(toward: id(10)) == .forward(id(5000)))  // wraps past the top of the ring
    }

    @Test func anUnlinkedSuccessorMakesItsRangeUnavailable() {
        var ring = RingInstance(localID: id(1000), settings: RoutingSettings())
        _ = ring.start(bootstrapPeers: [id(1100)], now: .zero)
        #expect(ring.nextHop(toward: id(1150)) == .unavailable)
        #expect(ring.nextHop(toward: id(1050)) == .local)
        _ = ring.linkOpened(id(1100), now: at(1))
        #expect(ring.nextHop(toward: id(1150)) == .forward(id(1100)))
    }

    @Test func aPeerThatLeavesIsForgottenAtOnceAndNotRelearned() {
        var ring = linkedRing()
        let left = ring.linkStateReceived(LinkState(role: .none, closing: true, leaving: true), from: id(1100), now: at(100))
        #expect(disconnects(left) == [id(1100)])
        #expect(connects(left).isEmpty)  // no reconnection attempt, as a crash or a cap closure would get
        #expect(!ring.successors.contains(id(1100)) && !ring.isLinked(id(1100)))
        #expect(ring.successors.first == id(1200))
        // A neighbour's stale list does not bring it back.
        _ = ring.linkStateReceived(LinkState(role: .neighbour, successors: [id(1100), id(1200)]), from: id(900), now: at(200))
        #expect(!ring.successors.contains(id(1100)))
    }

    @Test func leavingAnnouncesToEveryLinkedPeer() {
        let ring = linkedRing()
        let announced = ring.leaveAnnouncements().compactMap { directive -> NodeID? in
            guard case .sendLinkState(let state, let peer) = directive, state.leaving, state.closing else { return nil }
            return peer
        }
        #expect(announced == [id(800), id(900), id(1100), id(1200)])
    }

    @Test func aSingleFailureNeverDropsALiveNeighbour() {
        var ring = linkedRing()
        let closed = ring.linkClosed(id(1100), now: at(100))
        #expect(connects(closed) == [id(1100)])  // reconnect, do not forget
        #expect(ring.successors == [id(1100), id(1200)])
        // Another node's view that lacks 1100 removes nothing.
        _ = ring.linkStateReceived(LinkState(role: .neighbour, successors: [id(1300)], predecessors: [id(1000)]),
                                   from: id(1200), now: at(101))
        #expect(ring.successors == [id(1100), id(1200)])
        _ = ring.linkOpened(id(1100), now: at(150))
        // Failures are counted in a row: a success in between resets the count.
        #expect(connects(ring.linkClosed(id(1100), now: at(200))) == [id(1100)])
        #expect(ring.successors == [id(1100), id(1200)])
    }

    @Test func twoFailuresInARowForgetANodeUntilItsBackoffEnds() {
        var ring = linkedRing()
        _ = ring.linkClosed(id(1100), now: at(100))
        let failed = ring.linkFailed(id(1100), now: at(200))
        #expect(ring.successors == [id(1200), id(800)])  // wraps: only 800, 900, 1200 are known
        #expect(!connects(failed).contains(id(1100)))
        // Gossip about it is ignored while it backs off...
        let gossip = LinkState(role: .neighbour, successors: [id(1300)], predecessors: [id(1100), id(1000)])
        _ = ring.linkStateReceived(gossip, from: id(1200), now: at(300))
        #expect(ring.successors == [id(1200), id(1300)])
        // ...and accepted again afterwards.
        _ = ring.tick(now: at(200 + 3 * 10_000))
        let later = ring.linkStateReceived(gossip, from: id(1200), now: at(200 + 3 * 10_000 + 1))
        #expect(connects(later).contains(id(1100)))
        #expect(ring.successors.first == id(1100))
    }

    @Test func aNodeThatLostEveryLinkRejoinsThroughPeersTheSeedNamed() {
        var ring = linkedRing()
        // Every link fails twice: every neighbour is forgotten and backing off.
        for peer in [id(800), id(900), id(1100), id(1200)] {
            _ = ring.linkClosed(peer, now: at(100))
            _ = ring.linkFailed(peer, now: at(200))
        }
        #expect(ring.linkCount == 0)
        #expect(ring.successors.isEmpty && ring.predecessors.isEmpty)
        #expect(connects(ring.tick(now: at(20_000))).isEmpty)

        // The seed names them again (backoff or not), plus one this node never knew.
        let rejoined = ring.rejoin(peers: [id(1100), id(900), id(1000), id(1150)], now: at(20_100))
        #expect(Set(connects(rejoined)) == [id(900), id(1100), id(1150)])
        #expect(ring.successors == [id(1100), id(1150)])
        #expect(!ring.hasJoined)
        // The first link looks up this node's place again.
        #expect(lookups(ring.linkOpened(id(1150), now: at(20_200))) == [id(999)])
    }

    /// A join lookup sent through a ring that is still repairing can be lost; a neighbour that lists this
    /// node in its link state has taken it in, and that is enough.
    @Test func aNeighbourListingThisNodeMeansItHasJoined() {
        var ring = RingInstance(localID: id(1000), settings: RoutingSettings())
        _ = ring.start(bootstrapPeers: [id(1100), id(900)], now: .zero)
        #expect(lookups(ring.linkOpened(id(1100), now: at(5))) == [id(999)])
        // A state that does not list this node says nothing about its place.
        _ = ring.linkStateReceived(LinkState(role: .long, successors: [id(1200)], predecessors: [id(900)]), from: id(1100), now: at(6))
        #expect(!ring.hasJoined)
        _ = ring.linkStateReceived(
            LinkState(role: .neighbour, successors: [id(1200)], predecessors: [id(1000), id(900)]), from: id(1100), now: at(7))
        #expect(ring.hasJoined)
        // The lookup's late answer changes nothing.
        _ = ring.ownerFound(for: id(999), reply: OwnerReply(owner: id(900)), now: at(8))
        #expect(ring.hasJoined)
    }

    /// A node whose last link closed has lost its place while it still has nodes to try; one that knows
    /// nobody any more (every other node left) is alone on the ring, which is its place.
    @Test func losingEveryLinkLosesThePlaceUnlessNobodyIsLeft() {
        var ring = linkedRing()
        for peer in [id(800), id(900), id(1100)] { _ = ring.linkClosed(peer, now: at(100)) }
        #expect(ring.hasJoined)
        _ = ring.linkClosed(id(1200), now: at(100))
        #expect(ring.linkCount == 0 && !ring.hasJoined)
        // The first link looks the place up again.
        #expect(lookups(ring.linkOpened(id(1100), now: at(200))) == [id(999)])

        var alone = linkedRing()
        for peer in [id(800), id(900), id(1100), id(1200)] {
            _ = alone.linkStateReceived(LinkState(role: .none, closing: true, leaving: true), from: peer, now: at(100))
        }
        #expect(alone.linkCount == 0 && alone.hasJoined)
        #expect(alone.nextHop(toward: id(5)) == .local)
    }

    @Test func rejoiningWhileLinkedOnlyAddsCandidates() {
        var ring = linkedRing()
        let directives = ring.rejoin(peers: [id(1050)], now: at(100))
        #expect(connects(directives) == [id(1050)])
        #expect(ring.successors == [id(1050), id(1100)])
        #expect(ring.hasJoined)
    }

    @Test func anIncomingLinkIsLiveEvidenceThatClearsBackoff() {
        var ring = linkedRing()
        _ = ring.linkClosed(id(1100), now: at(100))
        _ = ring.linkFailed(id(1100), now: at(200))
        _ = ring.linkOpened(id(1100), now: at(300))
        #expect(ring.successors == [id(1100), id(1200)])
    }

    @Test func connectAttemptsTimeOut() {
        var ring = RingInstance(localID: id(1000), settings: RoutingSettings())
        _ = ring.start(bootstrapPeers: [id(1100)], now: .zero)
        #expect(ring.tick(now: at(9_999)).allSatisfy { if case .connect = $0 { false } else { true } })
        let first = ring.tick(now: at(10_000))
        #expect(disconnects(first) == [id(1100)])
        #expect(connects(first) == [id(1100)])  // first failure: try again
        let second = ring.tick(now: at(20_000))
        #expect(disconnects(second) == [id(1100)])
        #expect(connects(second).isEmpty)
        #expect(ring.successors.isEmpty)
    }

    @Test func stabilizationSendsNeighbourListsToNeighboursPeriodically() {
        var ring = linkedRing()
        let directives = ring.tick(now: at(2_000))
        let targets = directives.compactMap { if case .sendLinkState(_, let peer) = $0 { return peer } else { return nil } }
        #expect(Set(targets) == [id(800), id(900), id(1100), id(1200)])
        #expect(ring.tick(now: at(2_001)).allSatisfy { if case .sendLinkState = $0 { false } else { true } })
    }

    @Test func linksOverTheCapCloseThePeersLongLinksButNeverNeighbours() {
        var settings = RoutingSettings()
        settings.maximumLinks = 6
        var ring = linkedRing(settings: settings)
        for peer in [id(3000), id(4000)] {
            _ = ring.linkOpened(peer, now: at(100))
            _ = ring.linkStateReceived(LinkState(role: .long), from: peer, now: at(101))
        }
        #expect(ring.linkCount == 6)
        // A seventh link that this node does not need is refused as soon as it opens.
        let over = ring.linkOpened(id(5000), now: at(200))
        #expect(disconnects(over) == [id(5000)])
        #expect(states(over, to: id(5000)).map(\.closing) == [true])
        #expect(ring.linkCount == 6)
        // A new neighbour is always accepted; the newest link used only by its peer makes room.
        let neighbour = ring.linkOpened(id(1050), now: at(300))
        #expect(disconnects(neighbour) == [id(4000)])
        #expect(ring.successors == [id(1050), id(1100)])
        #expect(ring.linkCount == 6)
        #expect(ring.isLinked(id(1050)))
    }

    @Test func linksNeitherSideNeedsAreClosedAfterAGracePeriod() {
        var ring = linkedRing()
        _ = ring.linkOpened(id(7000), now: at(100))
        _ = ring.linkStateReceived(LinkState(role: .none), from: id(7000), now: at(101))
        var closedAt: UInt64?
        for second in stride(from: UInt64(2_000), through: 20_000, by: 2_000) {
            if disconnects(ring.tick(now: at(second))).contains(id(7000)) {
                closedAt = second
                break
            }
        }
        #expect(closedAt == 8_000)  // first seen unneeded at 2 s, closed 3 stabilization periods later
        #expect(!ring.isLinked(id(7000)))
        #expect(ring.isLinked(id(1100)))
    }

    @Test func longLinksTargetFingerDistancesWithinTheBudget() {
        var ring = RingInstance(localID: .zero, settings: RoutingSettings())
        _ = ring.start(bootstrapPeers: [id(1), id(2), .max, .max.retreated(by: 1)], now: .zero)
        for peer in [id(1), id(2), .max, .max.retreated(by: 1)] { _ = ring.linkOpened(peer, now: .zero) }
        _ = ring.ownerFound(for: .max, reply: OwnerReply(owner: .max), now: .zero)
        let refresh = lookups(ring.tick(now: at(4_000)))
        #expect(refresh.count == ring.longLinkBudget)
        #expect(ring.longLinkBudget == 10)
        #expect(refresh.first == NodeID(UInt128(1) << 127))
        #expect(refresh.last == NodeID(UInt128(1) << 2))  // the deepest level beyond the successors
        #expect(Set(refresh).count == refresh.count)
        // The owner of the first target becomes a long link.
        let far = NodeID(UInt128(1) << 127).retreated(by: 5)
        let found = ring.ownerFound(for: NodeID(UInt128(1) << 127), reply: OwnerReply(owner: far), now: at(4_100))
        #expect(connects(found) == [far])
        #expect(ring.role(of: far) == .long)
        _ = ring.linkOpened(far, now: at(4_200))
        #expect(ring.longLinkNodes == [far])
        // A peer at its cap closes the link: it is not asked again soon.
        _ = ring.linkStateReceived(LinkState(role: .none, closing: true), from: far, now: at(4_300))
        #expect(!ring.isLinked(far))
        let again = ring.ownerFound(for: NodeID(UInt128(1) << 127), reply: OwnerReply(owner: far), now: at(4_400))
        #expect(connects(again).isEmpty)
    }

    @Test func auxiliaryLinksAreOpenedAndKept() {
        var ring = linkedRing()
        let directives = ring.setAuxiliaryLinks([id(9000)], now: at(50))
        #expect(connects(directives) == [id(9000)])
        _ = ring.linkOpened(id(9000), now: at(60))
        _ = ring.linkStateReceived(LinkState(role: .none), from: id(9000), now: at(61))
        #expect(ring.role(of: id(9000)) == .long)
        for second in stride(from: UInt64(2_000), through: 20_000, by: 2_000) {
            #expect(!disconnects(ring.tick(now: at(second))).contains(id(9000)))
        }
    }
}
