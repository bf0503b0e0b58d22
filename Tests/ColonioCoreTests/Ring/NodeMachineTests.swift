import Testing
@testable import ColonioCore

private let a = NodeID(1 << 100)
private let b = NodeID(2 << 100)
private let c = NodeID(3 << 100)
private let d = NodeID(4 << 100)
private let e = NodeID(5 << 100)

/// Four nodes on a settled ring.
private func ring(settings: RoutingSettings = RoutingSettings()) -> NodeMachineWiring {
    var wiring = NodeMachineWiring(settings: settings, ids: [a, b, c, d])
    wiring.start(a, peers: [])
    wiring.start(b, peers: [a])
    wiring.start(c, peers: [b, a])
    wiring.start(d, peers: [c, a])
    wiring.advance(to: 10_000)
    return wiring
}

@Suite struct NodeMachineTests {
    @Test func fourNodesSettleIntoARing() {
        let wiring = ring()
        #expect(wiring.machines[a]!.ring!.successors == [b, c])
        #expect(wiring.machines[a]!.ring!.predecessors == [d, c])
        #expect(wiring.machines[c]!.ring!.successors == [d, a])
        #expect(wiring.machines[c]!.ring!.predecessors == [b, a])
    }

    @Test func requestsReachExactNodesAndOwnersAndComeBack() throws {
        var wiring = ring()
        let (toNode, first) = try wiring.machines[a]!.request(name: "echo", payload: [1], to: .node(c), now: wiring.now)
        wiring.perform(first, at: a)
        let (toOwner, second) = try wiring.machines[a]!.request(
            name: "echo", payload: [2], to: .ownerOf(d.advanced(by: 5)), now: wiring.now)
        wiring.perform(second, at: a)
        let (toSelf, third) = try wiring.machines[a]!.request(name: "echo", payload: [3], to: .ownerOf(a.advanced(by: 1)), now: wiring.now)
        wiring.perform(third, at: a)
        wiring.flush()
        let outcomes = wiring.outcomes(at: a)
        #expect(outcomes[toNode] == .response([1]))
        #expect(outcomes[toOwner] == .response([2]))
        #expect(outcomes[toSelf] == .response([3]))
        #expect(wiring.messages(at: c).map(\.payload) == [[1]])
        #expect(wiring.messages(at: d).map(\.payload) == [[2]])
        #expect(wiring.messages(at: a).map(\.hopCount) == [0])
    }

    @Test func oneWayMessagesAreDeliveredWithoutReply() throws {
        var wiring = ring()
        wiring.perform(try wiring.machines[b]!.send(name: "echo", payload: [7], to: .node(d), now: wiring.now), at: b)
        wiring.perform(try wiring.machines[b]!.send(name: "nobody", payload: [8], to: .node(d), now: wiring.now), at: b)
        wiring.flush()
        #expect(wiring.messages(at: d).map(\.payload) == [[7]])
        #expect(wiring.messages(at: d).first?.reply == nil)
        #expect(wiring.outcomes(at: b).isEmpty)
    }

    @Test func failuresAreTyped() throws {
        var wiring = ring()
        let (missingHandler, first) = try wiring.machines[a]!.request(name: "nobody", payload: [], to: .node(c), now: wiring.now)
        wiring.perform(first, at: a)
        let (missingNode, second) = try wiring.machines[a]!.request(
            name: "echo", payload: [], to: .node(c.advanced(by: 1)), now: wiring.now)
        wiring.perform(second, at: a)
        wiring.flush()
        #expect(wiring.outcomes(at: a)[missingHandler] == .failure(.noHandler))
        #expect(wiring.outcomes(at: a)[missingNode] == .failure(.unreachable))
        #expect(throws: NodeError.messageTooLarge(size: 4 * 1024 * 1024 + 1, limit: 4 * 1024 * 1024)) {
            _ = try wiring.machines[a]!.send(
                name: "echo", payload: [UInt8](repeating: 0, count: 4 * 1024 * 1024 + 1), to: .node(b), now: .zero)
        }
        #expect(throws: NodeError.invalidName) {
            _ = try wiring.machines[a]!.send(name: "", payload: [], to: .node(b), now: .zero)
        }
        var stopped = NodeMachine()
        #expect(throws: NodeError.notStarted) { _ = try stopped.send(name: "echo", payload: [], to: .node(b), now: .zero) }
    }

    @Test func largeMessagesTravelInFragmentsOverSeveralHops() throws {
        var settings = RoutingSettings()
        settings.fragmentBytes = 1024
        settings.maximumMessageBytes = 200_000
        var wiring = ring(settings: settings)
        let payload = (0..<150_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let (id, directives) = try wiring.machines[a]!.request(name: "echo", payload: payload, to: .node(c), now: wiring.now)
        #expect(directives.filter { if case .transmit = $0 { true } else { false } }.count == 147)
        for directive in directives {
            if case .transmit(let bytes, _) = directive {
                #expect(bytes.count <= 1024 + OverlayPacket.maximumHeaderBytes)
            }
        }
        wiring.perform(directives, at: a)
        wiring.flush()
        #expect(wiring.outcomes(at: a)[id] == .response(payload))
    }

    @Test func lostRequestsAreRetriedThenTimeOut() throws {
        var wiring = ring()
        wiring.dropFramesTo = [c]
        let (id, directives) = try wiring.machines[a]!.request(name: "echo", payload: [1], to: .node(c), now: wiring.now)
        wiring.perform(directives, at: a)
        let start = wiring.now.milliseconds
        wiring.advance(to: start + 9_000)  // the first attempt and the first retry are lost
        #expect(wiring.outcomes(at: a)[id] == nil)
        wiring.dropFramesTo = []
        wiring.advance(to: start + 5_000 * 3)
        #expect(wiring.outcomes(at: a)[id] == .response([1]))  // the last retry got through
        wiring.dropFramesTo = [c]
        let (lost, more) = try wiring.machines[a]!.request(name: "echo", payload: [2], to: .node(c), now: wiring.now)
        wiring.perform(more, at: a)
        wiring.advance(to: wiring.now.milliseconds + 5_000 * 3)
        #expect(wiring.outcomes(at: a)[lost] == .failure(.timeout))
    }

    @Test func silentLinksAreKeptAliveAndDeadOnesClosed() {
        var wiring = ring()
        let before = wiring.machines[a]!.statistics.framesSent
        wiring.advance(to: wiring.now.milliseconds + 30_000)
        #expect(wiring.machines[a]!.ring!.isLinked(c))
        #expect(wiring.machines[a]!.statistics.framesSent > before)
        #expect(wiring.machines[a]!.statistics.suspicions == 0)
        // Nothing reaches a any more: it declares its links dead after the link timeout, not before.
        wiring.dropFramesTo = [a]
        wiring.seen.removeAll()
        let start = wiring.now.milliseconds
        wiring.advance(to: start + 1_750)
        #expect(!wiring.disconnected(a, from: b))
        wiring.advance(to: start + 2_250)
        #expect(wiring.disconnected(a, from: b))
    }

    @Test func aRequestMadeWhileJoiningWaitsForItsRouteInsteadOfARetry() throws {
        var wiring = NodeMachineWiring(ids: [a, b, c, d, e])
        wiring.start(a, peers: [])
        wiring.start(b, peers: [a])
        wiring.start(c, peers: [b, a])
        wiring.advance(to: 10_000)
        // e has no link yet when the application asks: the request waits in e, not in a retry timer.
        let started = wiring.machines[e]!.start(localID: e, bootstrapPeers: [a], now: wiring.now)
        let (id, request) = try wiring.machines[e]!.request(name: "echo", payload: [7], to: .ownerOf(NodeID(1)), now: wiring.now)
        #expect(!request.contains { if case .transmit = $0 { true } else { false } })
        wiring.perform(started + request, at: e)
        wiring.flush()
        #expect(wiring.outcomes(at: e)[id] == .response([7]))  // at the same instant: no retry was needed
        #expect(wiring.machines[e]!.statistics.unroutableDrops == 0)
    }

    @Test func aLeavingNodeIsForgottenByItsPeersAtOnce() {
        var wiring = ring()
        wiring.seen.removeAll()
        let leave = wiring.machines[b]!.leave(now: wiring.now)
        // On a link, frames sent before a close arrive before it: deliver them first (this wiring would
        // otherwise close at once, and peers would reconnect to a stopped machine forever).
        let isTransmit: (NodeDirective) -> Bool = { if case .transmit = $0 { true } else { false } }
        wiring.perform(leave.filter(isTransmit), at: b)
        wiring.flush()
        wiring.perform(leave.filter { !isTransmit($0) }, at: b)
        wiring.flush()
        for peer in [a, c, d] {
            #expect(wiring.seen.contains { $0.node == peer && $0.directive == .peerLeft(b) })
            #expect(!wiring.machines[peer]!.ring!.successors.contains(b) && !wiring.machines[peer]!.ring!.predecessors.contains(b))
            #expect(!wiring.seen.contains { $0.node == peer && $0.directive == .connect(b) })
        }
        #expect(wiring.machines[b]!.ring == nil)
    }

    @Test func stopFailsPendingRequestsAndClosesLinks() throws {
        var wiring = ring()
        wiring.dropFramesTo = [c]
        let (id, directives) = try wiring.machines[a]!.request(name: "echo", payload: [], to: .node(c), now: wiring.now)
        wiring.perform(directives, at: a)
        let stop = wiring.machines[a]!.stop(now: wiring.now)
        #expect(stop.contains(.requestCompleted(requestID: id, outcome: .failure(.networkClosed))))
        #expect(stop.filter { if case .disconnect = $0 { true } else { false } }.count == 3)
        #expect(wiring.machines[a]!.ring == nil)
    }

    @Test func hopLimitDropsPacketsAndTellsTheRequester() throws {
        let wiring = ring()
        var packet = OverlayPacket(
            destination: c, mode: .toNode, source: a, hopCount: 63, packetID: 999, requestID: 5,
            body: OverlayBody.message(ApplicationMessage(name: "echo", payload: [])).encoded())
        // b would forward to c, but the packet has used up its hops.
        var machine = wiring.machines[b]!
        packet.destination = d
        let directives = machine.received(packet.encoded(), from: a, now: wiring.now)
        #expect(machine.statistics.hopLimitDrops == 1)
        let replies = directives.compactMap { directive -> OverlayPacket? in
            guard case .transmit(let bytes, _) = directive else { return nil }
            return try? OverlayPacket(decoding: bytes)
        }
        #expect(replies.count == 1)
        #expect(replies.first?.isResponse == true)
        #expect(try replies.first.map { try OverlayBody(decoding: $0.body) } == .failure(DeliveryFailure(code: .hopLimitExceeded)))
    }

    @Test func duplicatePacketsAreDeliveredOnce() {
        var wiring = ring()
        let packet = OverlayPacket(
            destination: b, mode: .toNode, source: a, packetID: 4242,
            body: OverlayBody.message(ApplicationMessage(name: "echo", payload: [1])).encoded())
        for _ in 0..<3 {
            wiring.perform(wiring.machines[b]!.received(packet.encoded(), from: a, now: wiring.now), at: b)
        }
        #expect(wiring.messages(at: b).count == 1)
        #expect(wiring.machines[b]!.statistics.duplicateDrops == 2)
    }

    @Test func garbageFramesAreCountedAndDropped() {
        var wiring = ring()
        var random = SplitMix64(seed: 9)
        for _ in 0..<2_000 {
            let bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            wiring.perform(wiring.machines[b]!.received(bytes, from: a, now: wiring.now), at: b)
        }
        let huge = [UInt8](repeating: 0, count: 64 * 1024)
        _ = wiring.machines[b]!.received(huge, from: a, now: wiring.now)
        #expect(wiring.machines[b]!.statistics.malformedFrames >= 1)
        wiring.flush()
        #expect(wiring.machines[b]!.ring!.successors == [c, d])
    }

    @Test func signalsAndOpaqueBodiesAreRoutedToTheirDirectives() throws {
        var wiring = ring()
        let certificate = NodeCertificate(
            network: "n", nodeID: a, publicKey: [UInt8](repeating: 1, count: 32), expiry: 9,
            signature: [UInt8](repeating: 2, count: 64))
        let signal = SignedSignal(
            certificate: certificate, signal: SignalPayload(sessionID: 3, kind: .answer(sdp: "v=0")),
            signature: [UInt8](repeating: 3, count: 64))
        wiring.perform(wiring.machines[a]!.sendSignal(signal, to: c, now: wiring.now), at: a)
        wiring.perform(try wiring.machines[a]!.sendOpaque([1, 2], channel: .kvs, to: .ownerOf(c.advanced(by: 9)), now: wiring.now), at: a)
        let (id, directives) = try wiring.machines[a]!.requestOpaque([5], channel: .spread, to: .node(d), now: wiring.now)
        wiring.perform(directives, at: a)
        wiring.flush()
        let atC = wiring.seen.filter { $0.node == c }.map(\.directive)
        #expect(atC.contains(.deliverSignal(signal, from: a)))
        #expect(atC.contains { if case .deliverKVS(let message) = $0 { message.bytes == [1, 2] && message.reply == nil } else { false } })
        guard let spread = wiring.seen.first(where: {
            if $0.node == d, case .deliverSpread = $0.directive { true } else { false }
        }), case .deliverSpread(let incoming) = spread.directive, let token = incoming.reply else {
            Issue.record("spread request not delivered")
            return
        }
        wiring.perform(wiring.machines[d]!.respond(to: token, payload: [6], now: wiring.now), at: d)
        wiring.flush()
        #expect(wiring.outcomes(at: a)[id] == .response([6]))
    }

    @Test func closingALinkTellsThePeerFirst() {
        let ids = (1...6).map { NodeID(UInt128($0) << 100) }
        var wiring = NodeMachineWiring(ids: ids)
        wiring.start(ids[0], peers: [])
        for index in 1..<6 { wiring.start(ids[index], peers: [ids[index - 1], ids[0]]) }
        wiring.advance(to: 20_000)
        // ids[0] and ids[3] are not ring neighbours: a link between them is needed by neither side.
        #expect(wiring.machines[ids[0]]!.ring!.role(of: ids[3]) == .none)
        if !wiring.links.contains(NodeMachineWiring.key(ids[0], ids[3])) {
            wiring.perform([.connect(ids[3])], at: ids[0])
        }
        wiring.seen.removeAll()
        wiring.advance(to: 40_000)
        #expect(!wiring.links.contains(NodeMachineWiring.key(ids[0], ids[3])))
        var closingFrames = 0
        for (_, directive) in wiring.seen {
            guard case .transmit(let bytes, _) = directive, let packet = try? OverlayPacket(decoding: bytes),
                case .linkState(let state)? = try? OverlayBody(decoding: packet.body), state.closing
            else { continue }
            #expect(Set([packet.source, packet.destination]) == Set([ids[0], ids[3]]))
            closingFrames += 1
        }
        #expect(closingFrames >= 1)
    }
}
