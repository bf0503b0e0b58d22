/// One node's whole overlay protocol as a pure state machine: the ring, packet routing, request
/// tracking, fragmentation, hop limit, de-duplication and failure detection (``LinkLiveness``).
///
/// Every input is a method taking the shell's current time; every output is a ``NodeDirective``. The
/// machine never reads a clock, opens a link or starts a task, so the Swift runtime, the browser's
/// JavaScript shell and the simulator drive the same code the same way. Call ``tick(now:)`` regularly
/// (every 100-500 ms); timers fire no more precisely than that.
///
/// Sub-protocols (geo/spread, KVS) plug in through the opaque channels: ``sendOpaque(_:channel:to:now:)``,
/// ``requestOpaque(_:channel:to:now:)`` and ``respond(to:payload:now:)`` route their bytes, and received
/// ones come out as ``NodeDirective/deliverSpread(_:)`` / ``NodeDirective/deliverKVS(_:)``.
public struct NodeMachine: Sendable {
    private enum Purpose: Sendable {
        case message(MessageChannel)
        case ownerLookup(NodeID)

        /// The ring's own lookups (the join lookup among them) go out before the node has joined.
        var waitsForJoin: Bool {
            if case .message = self { true } else { false }
        }
    }

    private struct PendingRequest: Sendable {
        var destination: NodeID
        var mode: RoutingMode
        var body: [UInt8]
        var purpose: Purpose
    }

    /// A packet this node originates, held while the ring cannot route it (this node is joining, or a
    /// successor is being relinked): without holding, a request made right after `connect` waited for
    /// its first retry.
    private struct ParkedPacket: Sendable {
        var packet: OverlayPacket
        var waitsForJoin: Bool
        var since: MonotonicTime
    }

    /// How many packets, and how many body bytes, may wait for a route; beyond, packets are dropped
    /// (``Statistics/unroutableDrops``) and left to their sender's retry.
    static let parkedPacketLimit = 256
    static let parkedByteLimit = 1 << 20

    /// Counters for monitoring and tests.
    public struct Statistics: Equatable, Sendable {
        /// Frames sent over links.
        public var framesSent: UInt64 = 0
        /// Frames received from links.
        public var framesReceived: UInt64 = 0
        /// Packets forwarded for other nodes.
        public var packetsForwarded: UInt64 = 0
        /// Frames that could not be decoded or broke limits.
        public var malformedFrames: UInt64 = 0
        /// Packets dropped at the hop limit.
        public var hopLimitDrops: UInt64 = 0
        /// Packets dropped because the ring could not route them yet.
        public var unroutableDrops: UInt64 = 0
        /// Packets dropped as duplicates.
        public var duplicateDrops: UInt64 = 0
        /// Peers suspected after half the link timeout of silence.
        public var suspicions: UInt64 = 0
        /// Suspected peers heard from again (false suspicions).
        public var refutedSuspicions: UInt64 = 0
        /// Answers from other nodes that a suspected peer was still alive.
        public var vouches: UInt64 = 0
        /// Peers declared dead by the failure detector.
        public var peersDeclaredDead: UInt64 = 0
    }

    /// The network's routing parameters.
    public let settings: RoutingSettings
    /// The ring routing table; `nil` before ``start(localID:bootstrapPeers:now:)``.
    public private(set) var ring: RingInstance?
    /// Counters for monitoring and tests.
    public var statistics: Statistics {
        var current = counters
        let detector = liveness.statistics
        current.suspicions = detector.suspicions
        current.refutedSuspicions = detector.refutedSuspicions
        current.vouches = detector.vouches
        current.peersDeclaredDead = detector.declaredDead
        return current
    }
    private var counters = Statistics()

    private var tracker: RequestTracker<PendingRequest>
    private var reassembler: Reassembler
    private var duplicates = DuplicateFilter()
    private var liveness: LinkLiveness
    /// Registered handler names as UTF-8 bytes: comparing bytes, not `String`s, keeps Unicode
    /// normalization tables out of the Embedded (browser) build.
    private var handlers: Set<[UInt8]> = []
    private var nextPacketID: UInt64 = 1
    /// Packets with no route yet (see ``NextHop/unavailable``), oldest first: sent as soon as one appears.
    private var parked: [ParkedPacket] = []
    private var parkedBytes = 0
    private var isRoutingParked = false

    /// Largest encoded body: the largest payload plus room for the handler name and field keys.
    private var maximumBodyBytes: Int { Int(settings.maximumMessageBytes) + 1024 }

    /// Creates a stopped machine for a network with `settings`.
    public init(settings: RoutingSettings = RoutingSettings()) {
        self.settings = settings
        tracker = RequestTracker(
            timeoutMilliseconds: UInt64(settings.requestTimeoutMilliseconds), retries: settings.requestRetries)
        let bodyLimit = Int(settings.maximumMessageBytes) + 1024
        // A large message's fragments may take longer than a crash takes to notice.
        let reassemblyMilliseconds = Swift.max(
            UInt64(settings.vouchedLinkTimeoutMilliseconds), UInt64(settings.linkTimeoutMilliseconds))
        reassembler = Reassembler(
            fragmentBytes: Int(settings.fragmentBytes), maximumBodyBytes: bodyLimit,
            maximumBufferedBytes: 2 * bodyLimit + Int(settings.fragmentBytes),
            timeoutMilliseconds: reassemblyMilliseconds)
        liveness = LinkLiveness(settings: settings)
    }

    /// This node's ID once started.
    public var localID: NodeID? { ring?.localID }
    /// Requests awaiting responses.
    public var pendingRequestCount: Int { tracker.pendingCount }

    // MARK: - Lifecycle and link events

    /// Starts the node with the ID and bootstrap peers the seed assigned; with no peers the node is the
    /// first on the ring.
    public mutating func start(localID: NodeID, bootstrapPeers: [NodeID], now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring == nil else { return out }
        var newRing = RingInstance(localID: localID, settings: settings)
        let directives = newRing.start(bootstrapPeers: bootstrapPeers, now: now)
        ring = newRing
        apply(directives, now: now, into: &out)
        return out
    }

    /// Hands the ring the peers the seed named when this node had lost every link
    /// (see ``RingInstance/rejoin(peers:now:)``).
    public mutating func rejoin(peers: [NodeID], now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        let directives = ring!.rejoin(peers: peers, now: now)
        apply(directives, now: now, into: &out)
        return out
    }

    /// Stops the node: pending requests fail with ``RequestFailure/networkClosed`` and every link closes.
    public mutating func stop(now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard let current = ring else { return out }
        for (id, request) in tracker.removeAll() {
            if case .message = request.purpose {
                out.append(.requestCompleted(requestID: id, outcome: .failure(.networkClosed)))
            }
        }
        for peer in current.linkedPeers { out.append(.disconnect(peer)) }
        liveness.removeAll()
        parked.removeAll()
        parkedBytes = 0
        ring = nil
        return out
    }

    /// Stops the node for good, telling every linked peer that it leaves (so they forget it at once
    /// instead of trying to reconnect) before its links close; see ``stop(now:)``.
    public mutating func leave(now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard let current = ring else { return out }
        apply(current.leaveAnnouncements(), now: now, into: &out)
        out.append(contentsOf: stop(now: now))
        return out
    }

    /// A link to `peer` opened (whoever initiated it).
    public mutating func linkOpened(_ peer: NodeID, now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return [.disconnect(peer)] }
        liveness.opened(peer, now: now)
        let directives = ring!.linkOpened(peer, now: now)
        apply(directives, now: now, into: &out)
        return out
    }

    /// The link to `peer` closed (by the peer or the transport), or was found dead.
    public mutating func linkClosed(_ peer: NodeID, now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        liveness.closed(peer)
        let directives = ring!.linkClosed(peer, now: now)
        apply(directives, now: now, into: &out)
        return out
    }

    /// A link this node asked for (``NodeDirective/connect(_:)``) could not be opened.
    public mutating func linkFailed(_ peer: NodeID, now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        let directives = ring!.linkFailed(peer, now: now)
        apply(directives, now: now, into: &out)
        return out
    }

    /// Advances every timer: request retries, keepalives, dead links, stabilization, expiry.
    public mutating func tick(now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        for expiry in tracker.expire(now: now) {
            switch expiry {
            case .retry(let id, _, let request):
                transmit(body: request.body, to: request.destination, mode: request.mode, requestID: id,
                         isResponse: false, waitsForJoin: request.purpose.waitsForJoin, now: now, into: &out)
            case .failed(let id, let request):
                if let localID = ring?.localID {
                    unpark { $0.source == localID && $0.requestID == id && !$0.isResponse }
                }
                switch request.purpose {
                case .message:
                    out.append(.requestCompleted(requestID: id, outcome: .failure(.timeout)))
                case .ownerLookup(let target):
                    let directives = ring!.ownerLookupFailed(for: target, now: now)
                    apply(directives, now: now, into: &out)
                }
            }
        }
        for action in liveness.tick(now: now) {
            switch action {
            case .keepalive(let peer):
                send(body: .keepalive, to: peer, mode: .toNeighbour, now: now, into: &out)
            case .ask(let witness, let subject):
                send(body: .livenessQuery(LivenessQuery(subject: subject)), to: witness, mode: .toNeighbour,
                     now: now, into: &out)
            case .dead(let peer):
                guard ring?.isLinked(peer) ?? false else { continue }
                out.append(.disconnect(peer))
                out.append(.peerLost(peer))
                let directives = ring!.peerDeclaredDead(peer, now: now)
                apply(directives, now: now, into: &out)
            }
        }
        reassembler.expire(now: now)
        duplicates.forget(olderThan: now)
        let directives = ring!.tick(now: now)
        apply(directives, now: now, into: &out)
        return out
    }

    // MARK: - Received frames

    /// A frame arrived over the link from `peer`. Malformed or oversized frames are dropped.
    public mutating func received(_ bytes: [UInt8], from peer: NodeID, now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        // Read the ring in place: holding a copy across a mutation would copy its tables.
        guard let localID = ring?.localID else { return out }
        counters.framesReceived += 1
        liveness.received(from: peer, now: now)
        guard bytes.count <= Int(settings.fragmentBytes) + OverlayPacket.maximumHeaderBytes,
            var packet = try? OverlayPacket(decoding: bytes), packet.body.count <= Int(settings.fragmentBytes)
        else {
            counters.malformedFrames += 1
            return out
        }
        // Hop counts say how many links a packet travelled: the receiver counts the link it came over.
        if packet.hopCount < .max { packet.hopCount += 1 }
        if packet.mode == .toNeighbour {
            guard packet.destination == localID, packet.source == peer else {
                counters.malformedFrames += 1
                return out
            }
            arrived(packet, now: now, into: &out)
            return out
        }
        switch ring!.nextHop(toward: packet.destination) {
        case .local:
            arrived(packet, now: now, into: &out)
        case .forward(let next):
            guard packet.hopCount < settings.hopLimit else {
                counters.hopLimitDrops += 1
                reportFailure(of: packet, .hopLimitExceeded, now: now, into: &out)
                return out
            }
            counters.packetsForwarded += 1
            frame(packet, to: next, now: now, into: &out)
        case .unavailable:
            // Forwarded packets are not held: their sender retries, and holding them here while the
            // ring repairs would only add to the load.
            counters.unroutableDrops += 1
        }
        return out
    }

    // MARK: - Application messaging

    /// Lets requests and messages addressed to `name` through; requests to other names are answered
    /// with ``RequestFailure/noHandler`` and one-way messages to them are dropped.
    public mutating func registerHandler(_ name: String) {
        handlers.insert(Array(name.utf8))
    }

    /// Stops accepting messages addressed to `name`.
    public mutating func unregisterHandler(_ name: String) {
        handlers.remove(Array(name.utf8))
    }

    /// Sends a one-way application message; it is not acknowledged and may be lost.
    public mutating func send(
        name: String, payload: [UInt8], to destination: Destination, now: MonotonicTime
    ) throws(NodeError) -> [NodeDirective] {
        try validate(name: name, payload: payload)
        var out: [NodeDirective] = []
        let (id, mode) = address(destination)
        send(body: .message(ApplicationMessage(name: name, payload: payload)), to: id, mode: mode, now: now, into: &out)
        return out
    }

    /// Sends an application request; its end comes as ``NodeDirective/requestCompleted(requestID:outcome:)``
    /// with the returned ID. Requests are retried on timeout, so a handler may see one more than once.
    public mutating func request(
        name: String, payload: [UInt8], to destination: Destination, now: MonotonicTime
    ) throws(NodeError) -> (requestID: UInt64, directives: [NodeDirective]) {
        try validate(name: name, payload: payload)
        return startRequest(
            body: .message(ApplicationMessage(name: name, payload: payload)), purpose: .message(.application),
            to: destination, now: now)
    }

    /// Answers a request delivered by ``NodeDirective/deliverRequest(_:)``, ``NodeDirective/deliverSpread(_:)``
    /// or ``NodeDirective/deliverKVS(_:)``.
    public mutating func respond(to token: ReplyToken, payload: [UInt8], now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        let body: OverlayBody
        if payload.count > Int(settings.maximumMessageBytes) {
            body = .failure(DeliveryFailure(code: .messageTooLarge, detail: "response too large"))
        } else {
            switch token.channel {
            case .application: body = .reply(payload)
            case .spread: body = .spread(payload)
            case .kvs: body = .kvs(payload)
            }
        }
        send(body: body, to: token.requester, mode: .toNode, requestID: token.requestID, isResponse: true,
             now: now, into: &out)
        return out
    }

    /// Answers a request with a failure (for example ``DeliveryFailure/Code/handlerFailed``).
    public mutating func respond(to token: ReplyToken, failure: DeliveryFailure, now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        send(body: .failure(failure), to: token.requester, mode: .toNode, requestID: token.requestID,
             isResponse: true, now: now, into: &out)
        return out
    }

    // MARK: - Sub-protocols and signaling

    /// Routes a sub-protocol's bytes one way.
    public mutating func sendOpaque(
        _ bytes: [UInt8], channel: OpaqueChannel, to destination: Destination, now: MonotonicTime
    ) throws(NodeError) -> [NodeDirective] {
        try validate(payload: bytes)
        var out: [NodeDirective] = []
        let (id, mode) = address(destination)
        send(body: opaqueBody(bytes, channel: channel), to: id, mode: mode, now: now, into: &out)
        return out
    }

    /// Sends a sub-protocol request; the response's bytes come back in
    /// ``NodeDirective/requestCompleted(requestID:outcome:)``.
    public mutating func requestOpaque(
        _ bytes: [UInt8], channel: OpaqueChannel, to destination: Destination, now: MonotonicTime
    ) throws(NodeError) -> (requestID: UInt64, directives: [NodeDirective]) {
        try validate(payload: bytes)
        return startRequest(body: opaqueBody(bytes, channel: channel), purpose: .message(channel.messageChannel), to: destination, now: now)
    }

    /// Keeps links to `peers` open for a sub-protocol (for example geographic neighbours).
    public mutating func setAuxiliaryLinks(_ peers: Set<NodeID>, now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        let directives = ring!.setAuxiliaryLinks(peers, now: now)
        apply(directives, now: now, into: &out)
        return out
    }

    /// Relays WebRTC signaling to `peer` through the overlay (once this node has links).
    public mutating func sendSignal(_ signal: SignedSignal, to peer: NodeID, now: MonotonicTime) -> [NodeDirective] {
        var out: [NodeDirective] = []
        guard ring != nil else { return out }
        send(body: .signal(signal), to: peer, mode: .toNode, now: now, into: &out)
        return out
    }

    // MARK: - Sending

    private func validate(name: String, payload: [UInt8]) throws(NodeError) {
        let nameBytes = name.utf8.count
        guard nameBytes >= 1, nameBytes <= ApplicationMessage.maximumNameBytes else { throw .invalidName }
        try validate(payload: payload)
    }

    private func validate(payload: [UInt8]) throws(NodeError) {
        guard ring != nil else { throw .notStarted }
        guard payload.count <= Int(settings.maximumMessageBytes) else {
            throw .messageTooLarge(size: payload.count, limit: Int(settings.maximumMessageBytes))
        }
    }

    private func opaqueBody(_ bytes: [UInt8], channel: OpaqueChannel) -> OverlayBody {
        switch channel {
        case .spread: .spread(bytes)
        case .kvs: .kvs(bytes)
        }
    }

    private func address(_ destination: Destination) -> (NodeID, RoutingMode) {
        switch destination {
        case .node(let id): (id, .toNode)
        case .ownerOf(let id): (id, .toOwnerOf)
        case .neighbour(let id): (id, .toNeighbour)
        }
    }

    private mutating func startRequest(
        body: OverlayBody, purpose: Purpose, to destination: Destination, now: MonotonicTime
    ) -> (requestID: UInt64, directives: [NodeDirective]) {
        var out: [NodeDirective] = []
        let (id, mode) = address(destination)
        let encoded = body.encoded()
        let requestID = tracker.start(PendingRequest(destination: id, mode: mode, body: encoded, purpose: purpose), now: now)
        transmit(body: encoded, to: id, mode: mode, requestID: requestID, isResponse: false,
                 waitsForJoin: purpose.waitsForJoin, now: now, into: &out)
        return (requestID, out)
    }

    private mutating func send(
        body: OverlayBody, to destination: NodeID, mode: RoutingMode, requestID: UInt64 = 0, isResponse: Bool = false,
        now: MonotonicTime, into out: inout [NodeDirective]
    ) {
        // A response goes back to a requester that reached this node: it is on the ring already.
        transmit(body: body.encoded(), to: destination, mode: mode, requestID: requestID, isResponse: isResponse,
                 waitsForJoin: !isResponse, now: now, into: &out)
    }

    /// Routes an encoded body: delivered here when this node is the destination, otherwise cut into
    /// fragments and framed to the next hop.
    private mutating func transmit(
        body: [UInt8], to destination: NodeID, mode: RoutingMode, requestID: UInt64, isResponse: Bool,
        waitsForJoin: Bool = true, now: MonotonicTime, into out: inout [NodeDirective]
    ) {
        guard let localID = ring?.localID else { return }
        let packetID = nextPacketID
        nextPacketID &+= 1
        let next: NodeID
        if mode == .toNeighbour {
            guard ring!.isLinked(destination) else {
                counters.unroutableDrops += 1
                return
            }
            next = destination
        } else {
            switch route(toward: destination, waitsForJoin: waitsForJoin) {
            case .local:
                let packet = OverlayPacket(
                    destination: destination, mode: mode, source: localID, packetID: packetID,
                    requestID: requestID, isResponse: isResponse, body: body)
                arrived(packet, now: now, into: &out)
                return
            case .forward(let peer):
                next = peer
            case .unavailable:
                // A retry replaces the copy of its request still waiting.
                if requestID != 0 && !isResponse {
                    unpark { $0.source == localID && $0.requestID == requestID && !$0.isResponse }
                }
                for packet in fragments(body, to: destination, mode: mode, packetID: packetID, requestID: requestID,
                                        isResponse: isResponse, from: localID) {
                    park(packet, waitsForJoin: waitsForJoin, now: now)
                }
                return
            }
        }
        for packet in fragments(body, to: destination, mode: mode, packetID: packetID, requestID: requestID,
                                isResponse: isResponse, from: localID) {
            frame(packet, to: next, now: now, into: &out)
        }
    }

    private func fragments(
        _ body: [UInt8], to destination: NodeID, mode: RoutingMode, packetID: UInt64, requestID: UInt64,
        isResponse: Bool, from localID: NodeID
    ) -> [OverlayPacket] {
        let pieces = Fragmenter.split(body, fragmentBytes: Int(settings.fragmentBytes))
        return pieces.enumerated().map { index, piece in
            OverlayPacket(
                destination: destination, mode: mode, source: localID, packetID: packetID,
                requestID: requestID, isResponse: isResponse, fragmentIndex: UInt32(index),
                fragmentCount: UInt32(pieces.count), body: piece)
        }
    }

    // MARK: - Packets waiting for a route

    /// The ring's next hop for a packet this node originates. Before the join lookup has answered, the
    /// node cannot tell whether it owns another ID (its successors may be unknown), so a packet that
    /// `waitsForJoin` (the application's and sub-protocols' traffic, not the join lookup itself, not
    /// responses) waits rather than being delivered here.
    private func route(toward destination: NodeID, waitsForJoin: Bool) -> NextHop {
        guard let ring else { return .unavailable }
        let next = ring.nextHop(toward: destination)
        if next == .local && waitsForJoin && !ring.hasJoined && destination != ring.localID { return .unavailable }
        return next
    }

    private mutating func park(_ packet: OverlayPacket, waitsForJoin: Bool, now: MonotonicTime) {
        guard parked.count < Self.parkedPacketLimit, parkedBytes + packet.body.count <= Self.parkedByteLimit else {
            counters.unroutableDrops += 1
            return
        }
        parked.append(ParkedPacket(packet: packet, waitsForJoin: waitsForJoin, since: now))
        parkedBytes += packet.body.count
    }

    private mutating func unpark(where matches: (OverlayPacket) -> Bool) {
        parked.removeAll { entry in
            guard matches(entry.packet) else { return false }
            parkedBytes -= entry.packet.body.count
            return true
        }
    }

    /// Sends the packets that have a route now; drops those that waited longer than a request timeout
    /// (their sender has retried by then).
    private mutating func routeParked(now: MonotonicTime, into out: inout [NodeDirective]) {
        // Not again from inside: delivering a parked packet here can change the ring and come back.
        guard !parked.isEmpty, !isRoutingParked, ring != nil else { return }
        isRoutingParked = true
        defer { isRoutingParked = false }
        let waiting = parked
        parked.removeAll()
        parkedBytes = 0
        for entry in waiting {
            if now.milliseconds(since: entry.since) >= UInt64(settings.requestTimeoutMilliseconds) {
                counters.unroutableDrops += 1
                continue
            }
            switch route(toward: entry.packet.destination, waitsForJoin: entry.waitsForJoin) {
            case .local:
                arrived(entry.packet, now: now, into: &out)
            case .forward(let next):
                frame(entry.packet, to: next, now: now, into: &out)
            case .unavailable:
                parked.append(entry)
                parkedBytes += entry.packet.body.count
            }
        }
    }

    private mutating func frame(_ packet: OverlayPacket, to peer: NodeID, now: MonotonicTime, into out: inout [NodeDirective]) {
        liveness.sent(to: peer, now: now)
        counters.framesSent += 1
        out.append(.transmit(packet.encoded(), to: peer))
    }

    // MARK: - Receiving

    /// A packet (or fragment) for this node arrived from a link.
    private mutating func arrived(_ packet: OverlayPacket, now: MonotonicTime, into out: inout [NodeDirective]) {
        guard let localID = ring?.localID else { return }
        if packet.mode == .toNode && packet.destination != localID {
            // This node owns the ID, so no node with exactly that ID is on the ring.
            if packet.fragmentIndex == 0 { reportFailure(of: packet, .unreachable, now: now, into: &out) }
            return
        }
        var body = packet.body
        if packet.fragmentCount > 1 {
            switch reassembler.add(packet, now: now) {
            case .complete(let whole): body = whole
            case .incomplete: return
            case .rejected:
                counters.malformedFrames += 1
                return
            }
        }
        if packet.mode != .toNeighbour {
            guard duplicates.insert(DuplicateFilter.Key(source: packet.source, packetID: packet.packetID), now: now) else {
                counters.duplicateDrops += 1
                return
            }
        }
        deliver(packet, body: body, now: now, into: &out)
    }

    /// Acts on a complete body addressed to this node.
    private mutating func deliver(_ packet: OverlayPacket, body bytes: [UInt8], now: MonotonicTime, into out: inout [NodeDirective]) {
        guard ring != nil else { return }
        guard let body = try? OverlayBody(decoding: bytes) else {
            counters.malformedFrames += 1
            reportFailure(of: packet, .unsupported, now: now, into: &out)
            return
        }
        let isRequest = packet.requestID != 0 && !packet.isResponse
        if packet.isResponse {
            completeRequest(packet.requestID, with: body, now: now, into: &out)
            return
        }
        switch body {
        case .linkState(let state):
            guard packet.mode == .toNeighbour else { return }
            if state.leaving {
                liveness.closed(packet.source)
                out.append(.peerLeft(packet.source))
            }
            let directives = ring!.linkStateReceived(state, from: packet.source, now: now)
            apply(directives, now: now, into: &out)
        case .ownerQuery:
            guard isRequest else { return }
            let reply = ownerReply()
            send(body: .ownerReply(reply), to: packet.source, mode: .toNode, requestID: packet.requestID,
                 isResponse: true, now: now, into: &out)
        case .livenessQuery(let query):
            guard packet.mode == .toNeighbour else { return }
            let report = LivenessReport(
                subject: query.subject, heardMillisecondsAgo: liveness.millisecondsSinceHeard(from: query.subject, now: now))
            send(body: .livenessReport(report), to: packet.source, mode: .toNeighbour, now: now, into: &out)
        case .livenessReport(let report):
            guard packet.mode == .toNeighbour else { return }
            liveness.reported(report, now: now)
        case .keepalive, .ownerReply, .reply, .failure:
            break
        case .message(let message):
            guard handlers.contains(Array(message.name.utf8)) else {
                reportFailure(of: packet, .noHandler, now: now, into: &out)
                return
            }
            let token = isRequest
                ? ReplyToken(requester: packet.source, requestID: packet.requestID, channel: .application) : nil
            let incoming = IncomingMessage(
                source: packet.source, name: message.name, payload: message.payload, hopCount: packet.hopCount,
                reply: token)
            out.append(isRequest ? .deliverRequest(incoming) : .deliverMessage(incoming))
        case .spread(let bytes):
            out.append(.deliverSpread(opaque(packet, bytes: bytes, channel: .spread)))
        case .kvs(let bytes):
            out.append(.deliverKVS(opaque(packet, bytes: bytes, channel: .kvs)))
        case .signal(let signal):
            out.append(.deliverSignal(signal, from: packet.source))
        }
    }

    private func ownerReply() -> OwnerReply {
        guard let ring else { return OwnerReply(owner: .zero) }
        return OwnerReply(
            owner: ring.localID, successors: ring.successors.filter { ring.isLinked($0) },
            predecessors: ring.predecessors.filter { ring.isLinked($0) })
    }

    private func opaque(_ packet: OverlayPacket, bytes: [UInt8], channel: MessageChannel) -> IncomingOpaque {
        let isRequest = packet.requestID != 0 && !packet.isResponse
        return IncomingOpaque(
            source: packet.source, destination: packet.destination, mode: packet.mode, bytes: bytes,
            hopCount: packet.hopCount,
            reply: isRequest ? ReplyToken(requester: packet.source, requestID: packet.requestID, channel: channel) : nil)
    }

    private mutating func completeRequest(_ requestID: UInt64, with body: OverlayBody, now: MonotonicTime, into out: inout [NodeDirective]) {
        guard let request = tracker.context(of: requestID) else { return }
        switch request.purpose {
        case .ownerLookup(let target):
            guard case .ownerReply(let reply) = body else { return }
            _ = tracker.complete(requestID)
            let directives = ring!.ownerFound(for: target, reply: reply, now: now)
            apply(directives, now: now, into: &out)
        case .message(let channel):
            let outcome: RequestOutcome
            switch (body, channel) {
            case (.failure(let failure), _): outcome = .failure(RequestFailure(failure))
            case (.reply(let payload), .application): outcome = .response(payload)
            case (.spread(let bytes), .spread): outcome = .response(bytes)
            case (.kvs(let bytes), .kvs): outcome = .response(bytes)
            default: return
            }
            _ = tracker.complete(requestID)
            out.append(.requestCompleted(requestID: requestID, outcome: outcome))
        }
    }

    /// Tells a request's sender why it cannot be delivered; other packets are dropped silently.
    private mutating func reportFailure(
        of packet: OverlayPacket, _ code: DeliveryFailure.Code, now: MonotonicTime, into out: inout [NodeDirective]
    ) {
        guard packet.requestID != 0, !packet.isResponse else { return }
        send(body: .failure(DeliveryFailure(code: code)), to: packet.source, mode: .toNode, requestID: packet.requestID,
             isResponse: true, now: now, into: &out)
    }

    // MARK: - Ring directives

    private mutating func apply(_ directives: [RingDirective], now: MonotonicTime, into out: inout [NodeDirective]) {
        for directive in directives {
            switch directive {
            case .connect(let peer):
                out.append(.connect(peer))
            case .disconnect(let peer):
                liveness.closed(peer)
                out.append(.disconnect(peer))
            case .sendLinkState(let state, let peer):
                // Framed directly: a closing state follows a link the ring has already let go of.
                guard let localID = ring?.localID else { continue }
                let packet = OverlayPacket(
                    destination: peer, mode: .toNeighbour, source: localID, packetID: nextPacketID,
                    body: OverlayBody.linkState(state).encoded())
                nextPacketID &+= 1
                frame(packet, to: peer, now: now, into: &out)
            case .lookupOwner(let target):
                let (_, directives) = startRequest(
                    body: .ownerQuery, purpose: .ownerLookup(target), to: .ownerOf(target), now: now)
                out.append(contentsOf: directives)
            case .neighboursChanged:
                guard let current = ring else { continue }
                out.append(.neighboursChanged(successors: current.successors, predecessors: current.predecessors))
            }
        }
        // Every change of the ring (a link, a link state, the join lookup's answer, a tick) may have
        // given waiting packets a route.
        routeParked(now: now, into: &out)
    }
}
