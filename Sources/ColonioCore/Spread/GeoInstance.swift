/// The location-based pub/sub ("spread") state machine of one node: geo neighbour discovery and message
/// forwarding. Pure: inputs are method calls, outputs are ``GeoDirective`` values.
///
/// **Neighbours.** Every node knows the positions of the nodes that announced themselves to it and of
/// *their* neighbours, and takes as its geo neighbours its Delaunay neighbours among those
/// (``DelaunayGraph/neighboursOfFirst(_:in:)``): the local-Delaunay construction, which converges to the
/// global Delaunay graph because every wrong edge has a witness among the two endpoints' neighbours.
/// A node announces its position and neighbour list (``GeoAnnounce``) to its neighbours whenever either
/// changes; a newcomer asks contacts the overlay gives it (``discovered(_:now:)``) to reply, then walks
/// towards its place through neighbours of neighbours. Positions carry versions so stale second-hand
/// reports never override fresher ones; announcements carry sequence numbers so an overtaken one is
/// dropped, and go to each node at most once per ``announcementIntervalMilliseconds`` (changes in
/// between travel together), which bounds the traffic when views disagree.
///
/// **Messages.** A publication travels greedily (each hop to the neighbour nearest the centre) until it
/// reaches a node inside the circle, then floods along Delaunay edges between nodes inside it. The nodes
/// of a Delaunay triangulation inside any circle are connected, so every node inside receives it; IDs
/// are remembered for ``SpreadSettings/deduplicationMilliseconds`` so each node handles a message once.
///
/// **Receipts.** With ``SpreadOptions/requireReceiver`` a subscriber that takes the message tells the
/// publisher at once, and every node on the message's path answers the node it got it from once its own
/// part of the path is done (``ReceiptConvergecast``): the publisher learns that nobody received it
/// when every branch has answered, a few round trips after publishing; ``receiptTimeoutMilliseconds``
/// only covers branches whose answer was lost.
public struct GeoInstance: Sendable {
    /// This node.
    public let id: NodeID
    /// The network's coordinate space.
    public let space: CoordinateSpace
    /// The network's spread parameters.
    public var settings: SpreadSettings
    /// How long a publisher that asked for receipts waits for an answer from every branch of the
    /// message's path before reporting ``SpreadError/noReceiver`` anyway (an answer was lost: a node on
    /// the path crashed or a link broke). Settled networks answer long before.
    public var receiptTimeoutMilliseconds: UInt64
    /// How often the announcement is re-sent to every neighbour, repairing losses.
    public var refreshMilliseconds: UInt64

    /// This node's position, once set.
    public private(set) var position: Position?
    private var positionVersion: UInt64 = 0
    /// Nodes that announced themselves to this node and are still of interest, with what they said.
    private var peers: [NodeID: GeoAnnounce] = [:]
    /// The freshest position heard for each node (first- or second-hand), bounded by ``rememberedPositions``.
    private var firstHand: [NodeID: VersionedPosition] = [:]
    /// How many positions are remembered before those no longer mentioned are forgotten.
    static let rememberedPositions = 4096
    /// This node's Delaunay neighbours among the nodes it knows, with their best-known positions.
    public private(set) var neighbours: [NodeID: VersionedPosition] = [:]
    /// ``neighbours`` plus the peers that list this node as their neighbour: the links spread uses.
    public private(set) var linked: Set<NodeID> = []
    /// The representative of this node's site (``SiteLinks``) as heard down the chain, when this node is
    /// not it; sent in announcements.
    public private(set) var representative: GeoNodeEntry?
    private var announcementVersion: UInt64 = 0
    private var announcedVersion: [NodeID: UInt64] = [:]
    /// The shortest time between two announcements to the same node; changes in between are sent
    /// together when it has passed. Without it two nodes whose views feed each other's (a dead node
    /// still mentioned by some, a near-cocircular quartet) answer each change with a change, every
    /// announcement to all neighbours, and the traffic grows exponentially.
    public var announcementIntervalMilliseconds: UInt64 = 100
    /// When this node last announced itself to each node (kept for the interval or while linked).
    private var lastAnnounced: [NodeID: MonotonicTime] = [:]
    /// Nodes owed an announcement that the interval held back (sent from ``tick(now:)``).
    private var deferredAnnouncements: Set<NodeID> = []
    /// Numbers this node's announcements, so a receiver can drop one overtaken by a later one.
    private var announcementSequence: UInt64 = 0
    /// The highest announcement sequence heard from each node (bounded with ``firstHand``).
    private var heardSequence: [NodeID: UInt64] = [:]
    private var contacts: Set<NodeID> = []
    /// Whether this node is still looking for its place (after joining or moving): it asks only the
    /// known node nearest to its position, then that node's nearer neighbours, greedily, and takes its
    /// Delaunay neighbours once the nearest known node has answered and lists nobody nearer. Without the
    /// walk a newcomer far from its contacts takes every node on the facing side of what it knows as a
    /// neighbour, asks them all, and sweeps most of the network (hundreds of nodes at 1,000, and as
    /// many links in a real node).
    private var walking = false
    /// Nodes asked during the walk and not answered yet.
    private var walkAsked: Questions = [:]
    /// How long a node asked during the walk has to answer before it is asked again, and then passed over.
    public var walkStepTimeoutMilliseconds: UInt64 = 2_000
    /// Whether the position changed since neighbours were last told (they are told after the walk).
    private var positionUnannounced = false
    private var nextRefresh = MonotonicTime.zero
    /// Nodes reported gone (``nodeLeft(_:now:)``), ignored when others still mention them until the
    /// report is ``departureMemoryMilliseconds`` old or the node speaks for itself again. Without this,
    /// neighbours that learn of a crash at different times hand the dead node back to each other, and
    /// it stays in everyone's neighbourhood for good.
    private var departed = ExpiringSet<NodeID>()
    /// How long a departure is remembered: longer than it takes every node linked to the departed one
    /// to notice (the link timeout) and to re-announce (``refreshMilliseconds``).
    public var departureMemoryMilliseconds: UInt64 = 120_000
    /// How long a neighbour known only second-hand has to answer this node's announcement (asked twice)
    /// before it is taken as gone. A dead node can be heard of from nodes that have not learned of its
    /// death yet; nobody may ever report it gone to this node (a failed connect is no proof).
    public var answerTimeoutMilliseconds: UInt64 = 10_000
    /// Nodes asked for their announcement: when to ask again or give up, and whether asked again.
    private typealias Questions = [NodeID: (deadline: MonotonicTime, askedAgain: Bool)]
    /// Neighbours not heard from first-hand yet.
    private var unanswered: Questions = [:]
    /// When each peer last announced itself. Live peers re-announce every ``refreshMilliseconds``; one
    /// silent for three of those is taken as gone (its link may be down without anyone saying so).
    private var lastHeard: [NodeID: MonotonicTime] = [:]

    /// Topics this node subscribes to.
    public var subscriptions: Set<String> { Set(subscribedTopics.map { String(decoding: $0, as: UTF8.self) }) }
    /// The topics as UTF-8 bytes: hashing bytes, not `String`s, keeps Unicode normalization tables out of
    /// the Embedded (browser) build.
    private var subscribedTopics: Set<[UInt8]> = []
    private var nextSequence: UInt64 = 1
    private var seen = ExpiringSet<SpreadMessageID>()
    private var storedPayloads: [SpreadMessageID: (payload: [UInt8], expiry: MonotonicTime)] = [:]
    private var pendingFetches: [SpreadMessageID: (forward: SpreadForward, expiry: MonotonicTime)] = [:]
    private var awaitingReceipts: [SpreadMessageID: MonotonicTime] = [:]
    /// The publications this node forwarded (or published) asking for receipts, whose answers it awaits.
    private var convergecast = ReceiptConvergecast()
    /// Publications made before this node found its place in the geo overlay (``hasPlace``), in order,
    /// each with the time it is sent anyway. Sent then, they would reach nobody: a node that has just
    /// joined or moved has no neighbours yet, or not the right ones.
    private var heldPublications: [(forward: SpreadForward, until: MonotonicTime)] = []
    /// Most publications held while this node looks for its place; later ones go out at once.
    static let maximumHeldPublications = 256
    /// How long a publication waits for this node to find its place before it is sent anyway (a node
    /// alone in the network never finds neighbours). Longer than a walk on a live network takes.
    public var placeWaitMilliseconds: UInt64 = 5_000
    /// Whether this node has found its place: it has geo neighbours and is not walking to a new position.
    public var hasPlace: Bool { position != nil && !walking && !neighbours.isEmpty }

    /// Creates the state machine of node `id` in `space`; it takes part once its position is set.
    public init(
        id: NodeID, space: CoordinateSpace, settings: SpreadSettings = SpreadSettings(),
        receiptTimeoutMilliseconds: UInt64 = 10_000, refreshMilliseconds: UInt64 = 30_000
    ) {
        self.id = id
        self.space = space
        self.settings = settings
        self.receiptTimeoutMilliseconds = receiptTimeoutMilliseconds
        self.refreshMilliseconds = refreshMilliseconds
    }

    // MARK: - Inputs: membership

    /// Sets or changes this node's position (validated; torus positions wrap).
    public mutating func setPosition(_ newPosition: Position, now: MonotonicTime) throws(GeometryError) -> [GeoDirective] {
        let valid = try space.validated(newPosition)
        guard valid != position else { return [] }
        let hadPosition = position != nil
        position = valid
        positionVersion += 1
        var directives: [GeoDirective] = []
        if !hadPosition {
            for contact in contacts.sorted() {
                walkAsked[contact] = (now.adding(milliseconds: walkStepTimeoutMilliseconds), false)
                sendAnnouncement(to: contact, wantReply: true, now: now, &directives)
            }
            contacts = []
        }
        // A node that moved (or arrived) first walks to its new place; its neighbours hear of the new
        // position when it has found it.
        walking = true
        positionUnannounced = true
        update(forceAnnouncement: false, now: now, &directives)
        return directives
    }

    /// Tells the machine about nodes the overlay can reach (e.g. ring neighbours) so that a newcomer finds
    /// the geo overlay: each is asked for its announcement.
    public mutating func discovered(_ nodes: [NodeID], now: MonotonicTime) -> [GeoDirective] {
        var directives: [GeoDirective] = []
        for node in nodes where node != id && peers[node] == nil && !departed.contains(node) {
            if position == nil {
                contacts.insert(node)
            } else {
                // A node without neighbours walks from its new contacts to its place.
                if neighbours.isEmpty { walking = true }
                if walking { walkAsked[node] = (now.adding(milliseconds: walkStepTimeoutMilliseconds), false) }
                sendAnnouncement(to: node, wantReply: true, now: now, &directives)
            }
        }
        return directives
    }

    /// Tells the machine that a node left the network (its links are gone for good).
    public mutating func nodeLeft(_ node: NodeID, now: MonotonicTime) -> [GeoDirective] {
        let listed = peers[node]?.neighbours ?? [:]
        peers[node] = nil
        firstHand[node] = nil
        for peer in peers.keys { peers[peer]?.neighbours[node] = nil }
        contacts.remove(node)
        unanswered[node] = nil
        walkAsked[node] = nil
        deferredAnnouncements.remove(node)
        departed.removeExpired(now: now)
        _ = departed.insert(node, expiry: now.adding(milliseconds: departureMemoryMilliseconds))
        var directives: [GeoDirective] = []
        update(forceAnnouncement: false, now: now, &directives)
        askForgotten(listed, now: now, &directives)
        return directives
    }

    // MARK: - Inputs: subscriptions

    /// Starts delivering messages of `topic` that reach this node.
    public mutating func subscribe(_ topic: String) { subscribedTopics.insert(Array(topic.utf8)) }

    /// Stops delivering messages of `topic`.
    public mutating func unsubscribe(_ topic: String) { subscribedTopics.remove(Array(topic.utf8)) }

    // MARK: - Inputs: packets and time

    /// Handles bytes a node sent; undecodable bytes are dropped.
    public mutating func receive(_ bytes: [UInt8], from sender: NodeID, now: MonotonicTime) -> [GeoDirective] {
        guard let packet = try? SpreadPacket(decoding: bytes) else { return [] }
        return receive(packet, from: sender, now: now)
    }

    /// Handles a decoded packet from `sender`.
    public mutating func receive(_ packet: SpreadPacket, from sender: NodeID, now: MonotonicTime) -> [GeoDirective] {
        guard sender != id else { return [] }
        var directives: [GeoDirective] = []
        switch packet {
        case .announce(let announce):
            onAnnounce(announce, from: sender, now: now, &directives)
        case .forward(let forward):
            guard seen.insert(forward.id, expiry: expiry(now)) else {
                // The node that first passed it here is the one this node answers for its branch.
                if forward.wantReceipt { concludeBranch(forward.id, parent: sender, reached: false, &directives) }
                break
            }
            route(forward, previous: sender, now: now, &directives)
        case .receipt(let receipt):
            guard receipt.id.origin == id else { break }
            finishPublication(receipt.id, reached: receipt.outcome == .received, &directives)
        case .branchReport(let report):
            if let decided = convergecast.answer(report.id, from: sender, reached: report.reached) {
                concludeBranch(report.id, parent: decided.parent, reached: decided.reached, &directives)
            }
        case .fetch(let messageID):
            let stored = storedPayloads[messageID]
            let answer = SpreadPayload(id: messageID, found: stored != nil, payload: stored?.payload ?? [])
            directives.append(.send(SpreadPacket.payload(answer).encoded(), to: sender))
        case .payload(let answer):
            guard let pending = pendingFetches.removeValue(forKey: answer.id), answer.found,
                  answer.payload.count == Int(clamping: pending.forward.announcedSize) else { break }
            var forward = pending.forward
            forward.payload = answer.payload
            directives.append(.deliver(delivery(forward)))
        }
        return directives
    }

    /// Advances time: forgets expired message IDs and payloads, fails publications whose receipts did not
    /// come, and periodically re-announces to neighbours.
    public mutating func tick(now: MonotonicTime) -> [GeoDirective] {
        var directives: [GeoDirective] = []
        seen.removeExpired(now: now)
        departed.removeExpired(now: now)
        checkUnansweredNeighbours(now: now, &directives)
        checkWalk(now: now, &directives)
        storedPayloads = storedPayloads.filter { $0.value.expiry > now }
        pendingFetches = pendingFetches.filter { $0.value.expiry > now }
        convergecast.removeExpired(now: now)
        sendHeldPublications(now: now, &directives)
        for (messageID, deadline) in awaitingReceipts.sorted(by: { $0.key.sequence < $1.key.sequence })
        where deadline <= now {
            awaitingReceipts[messageID] = nil
            directives.append(.publishFailed(messageID, .noReceiver))
        }
        if now >= nextRefresh {
            nextRefresh = now.adding(milliseconds: refreshMilliseconds)
            if position != nil {
                for node in linked.sorted() {
                    sendAnnouncement(to: node, wantReply: peers[node] == nil, now: now, &directives)
                }
            }
        }
        sendDeferredAnnouncements(now: now, &directives)
        return directives
    }

    // MARK: - Inputs: publishing

    /// Publishes `payload` to the subscribers of `topic` inside the circle of `radius` around `center`.
    ///
    /// Returns the message ID (to match later ``GeoDirective/publishSucceeded(_:)`` or
    /// ``GeoDirective/publishFailed(_:_:)``) and the directives to carry out now.
    public mutating func publish(
        topic: String, payload: [UInt8], center: Position, radius: Double, options: SpreadOptions = SpreadOptions(),
        now: MonotonicTime
    ) throws(SpreadError) -> (id: SpreadMessageID, directives: [GeoDirective]) {
        let validCenter: Position
        let validRadius: Double
        do {
            validCenter = try space.validated(center)
            validRadius = try space.validatedRadius(radius)
        } catch {
            throw .invalidGeometry(error)
        }
        guard topic.utf8.count <= SpreadPacket.maximumTopicBytes else {
            throw .topicTooLong(size: topic.utf8.count, limit: SpreadPacket.maximumTopicBytes)
        }
        guard payload.count <= Int(settings.maximumPayloadBytes) else {
            throw .payloadTooLarge(size: payload.count, limit: Int(settings.maximumPayloadBytes))
        }
        guard let position else { throw .positionNotSet }
        let messageID = SpreadMessageID(origin: id, sequence: nextSequence)
        nextSequence += 1
        _ = seen.insert(messageID, expiry: expiry(now))
        let inline = payload.count <= Int(settings.inlinePayloadBytes)
        if !inline { storedPayloads[messageID] = (payload, expiry(now)) }
        if options.requireReceiver {
            awaitingReceipts[messageID] = now.adding(milliseconds: receiptTimeoutMilliseconds)
        }
        var directives: [GeoDirective] = []
        let forward = SpreadForward(
            id: messageID, topic: topic, center: validCenter, radius: validRadius, senderPosition: position,
            payload: inline ? payload : [], announcedSize: inline ? 0 : UInt64(payload.count),
            wantReceipt: options.requireReceiver, hops: 0, covered: []
        )
        if options.deliverToSelf && subscribedTopics.contains(Array(topic.utf8))
            && space.contains(center: validCenter, radius: validRadius, position) {
            var own = forward
            own.payload = payload
            directives.append(.deliver(delivery(own)))
        }
        if hasPlace || heldPublications.count >= Self.maximumHeldPublications {
            route(forward, previous: nil, now: now, &directives)
        } else {
            heldPublications.append((forward, now.adding(milliseconds: placeWaitMilliseconds)))
        }
        return (messageID, directives)
    }

    // MARK: - Forwarding

    /// Passes `forward` on from `previous` (`nil`: this node publishes it) and, when it asks for a
    /// receipt, starts waiting for the answers of the nodes it went to (``ReceiptConvergecast``).
    private mutating func route(
        _ forward: SpreadForward, previous: NodeID?, now: MonotonicTime, _ directives: inout [GeoDirective]
    ) {
        guard let position else {
            // Not in the geo overlay: it took nothing and passes nothing on.
            if forward.wantReceipt { concludeBranch(forward.id, parent: previous, reached: false, &directives) }
            return
        }
        let inside = space.contains(center: forward.center, radius: forward.radius, position)
        var next = forward
        next.hops = forward.hops &+ 1
        if inside {
            var reached = false
            if forward.id.origin != id { reached = accept(forward, now: now, &directives) }
            let covered = Set(forward.covered)
            var targets: [NodeID] = []
            for (node, known) in neighbours.sorted(by: { $0.key < $1.key })
            where node != previous && node != forward.id.origin && !covered.contains(node)
                && space.contains(center: forward.center, radius: forward.radius, known.position) {
                targets.append(node)
            }
            for node in linked.sorted() where neighbours[node] == nil && node != previous && !covered.contains(node) {
                if let known = peers[node]?.position,
                   space.contains(center: forward.center, radius: forward.radius, known.position) {
                    targets.append(node)
                }
            }
            if forward.wantReceipt {
                awaitBranches(forward.id, parent: previous, targets: targets, reached: reached, now: now, &directives)
            }
            guard !targets.isEmpty else { return }
            next.covered = targets
            let bytes = SpreadPacket.forward(next).encoded()
            for node in targets { directives.append(.send(bytes, to: node)) }
            return
        }
        // Greedy: the neighbour nearest the centre, if nearer than this node (ties: the lowest ID).
        let candidates = neighbours.map { (node: $0.key, position: $0.value.position) }
        var hop = GreedyForwarding.nextHop(from: position, toward: forward.center, among: candidates, in: space)
        // A site member links only to its chain: its representative links to the other sites.
        if hop == nil {
            hop = GreedyForwarding.towardRepresentative(
                of: id, at: position, toward: forward.center, among: candidates, in: space)
        }
        if let hop {
            next.covered = []
            directives.append(.send(SpreadPacket.forward(next).encoded(), to: hop))
        }
        // Without a next hop this node is the nearest to the centre and outside the circle: nobody is inside.
        if forward.wantReceipt {
            awaitBranches(forward.id, parent: previous, targets: hop.map { [$0] } ?? [], reached: false, now: now, &directives)
        }
    }

    /// Waits for the answers of `targets` about a publication that asks for a receipt, or answers at once
    /// when this node `reached` a subscriber itself or passed the publication to nobody.
    private mutating func awaitBranches(
        _ messageID: SpreadMessageID, parent: NodeID?, targets: [NodeID], reached: Bool, now: MonotonicTime,
        _ directives: inout [GeoDirective]
    ) {
        if reached || targets.isEmpty {
            concludeBranch(messageID, parent: parent, reached: reached, &directives)
            return
        }
        // When the state is full nobody is answered: the publisher's timeout decides, never a guess.
        _ = convergecast.wait(for: messageID, parent: parent, targets: Set(targets),
                              expiry: now.adding(milliseconds: receiptTimeoutMilliseconds))
    }

    /// Answers `parent` for this node's branch of a publication's path, or, at the publisher (`parent`
    /// `nil`), reports the publication's outcome.
    private mutating func concludeBranch(
        _ messageID: SpreadMessageID, parent: NodeID?, reached: Bool, _ directives: inout [GeoDirective]
    ) {
        guard let parent else {
            finishPublication(messageID, reached: reached, &directives)
            return
        }
        directives.append(.send(SpreadPacket.branchReport(SpreadBranchReport(id: messageID, reached: reached)).encoded(),
                                to: parent))
    }

    /// Reports the outcome of one of this node's publications, once.
    private mutating func finishPublication(_ messageID: SpreadMessageID, reached: Bool, _ directives: inout [GeoDirective]) {
        guard messageID.origin == id, awaitingReceipts.removeValue(forKey: messageID) != nil else { return }
        directives.append(reached ? .publishSucceeded(messageID) : .publishFailed(messageID, .noReceiver))
    }

    /// Delivers `forward` when this node subscribes to its topic; returns whether it did (a large
    /// payload: whether the fetch started), telling the publisher when it asked for a receipt.
    private mutating func accept(_ forward: SpreadForward, now: MonotonicTime, _ directives: inout [GeoDirective]) -> Bool {
        guard subscribedTopics.contains(Array(forward.topic.utf8)) else { return false }
        if forward.announcedSize > 0 {
            guard forward.announcedSize <= UInt64(settings.maximumPayloadBytes) else { return false }
            pendingFetches[forward.id] = (forward, expiry(now))
            directives.append(.send(SpreadPacket.fetch(forward.id).encoded(), to: forward.id.origin))
        } else {
            directives.append(.deliver(delivery(forward)))
        }
        // Straight to the publisher: it need not wait for the answers to come back along the path.
        if forward.wantReceipt {
            directives.append(.send(SpreadPacket.receipt(SpreadReceipt(id: forward.id, outcome: .received)).encoded(),
                                    to: forward.id.origin))
        }
        return true
    }

    private func delivery(_ forward: SpreadForward) -> SpreadDelivery {
        SpreadDelivery(id: forward.id, topic: forward.topic, payload: forward.payload,
                       senderPosition: forward.senderPosition, center: forward.center, radius: forward.radius,
                       hops: forward.hops)
    }

    private func expiry(_ now: MonotonicTime) -> MonotonicTime {
        now.adding(milliseconds: UInt64(settings.deduplicationMilliseconds))
    }

    // MARK: - Neighbours

    private mutating func onAnnounce(
        _ announce: GeoAnnounce, from sender: NodeID, now: MonotonicTime, _ directives: inout [GeoDirective]
    ) {
        guard (try? space.validated(announce.position.position)) == announce.position.position else { return }
        if let known = firstHand[sender], known.version > announce.position.version { return }
        // Packets routed over the overlay can overtake each other: an older neighbour list must not
        // replace a newer one.
        if let heard = heardSequence[sender], announce.sequence < heard { return }
        heardSequence[sender] = announce.sequence
        // A node reported gone that speaks again is alive after all (its link had only failed).
        departed.remove(sender)
        unanswered[sender] = nil
        walkAsked[sender] = nil
        var cleaned = announce
        cleaned.neighbours = announce.neighbours.filter {
            !departed.contains($0.key) && (try? space.validated($0.value.position)) == $0.value.position
        }
        if let claimed = announce.representative,
           departed.contains(claimed.id) || (try? space.validated(claimed.position.position)) != claimed.position.position {
            cleaned.representative = nil
        }
        // A peer that moved no longer mentions its old neighbours; this node may know some of them
        // only through it (a site's chain, ``SiteLinks``, is one such case): they are asked below.
        let moved = peers[sender].map { $0.position.version < announce.position.version } ?? false
        let listedBefore = moved ? peers[sender]!.neighbours : [:]
        peers[sender] = cleaned
        lastHeard[sender] = now
        firstHand[sender] = announce.position
        guard position != nil else {
            contacts.insert(sender)
            return
        }
        if announce.wantReply { sendAnnouncement(to: sender, wantReply: false, now: now, &directives) }
        update(forceAnnouncement: false, now: now, &directives)
        askForgotten(listedBefore, now: now, &directives)
    }

    /// Asks the nodes of `listed` that this node no longer hears of from any peer for their announcement:
    /// called with the neighbours a departed or moved peer used to list. This node may have known them
    /// only through that peer — a member of a site's chain knows the members two steps away only through
    /// the one in between — and would otherwise lose its place in the graph (a chain cut in two, a site no
    /// longer linked to its neighbouring sites).
    private mutating func askForgotten(
        _ listed: [NodeID: VersionedPosition], now: MonotonicTime, _ directives: inout [GeoDirective]
    ) {
        guard position != nil else { return }
        for node in listed.keys.sorted() where node != id && peers[node] == nil && !departed.contains(node) {
            let heard = peers.values.contains { $0.neighbours[node] != nil || $0.representative?.id == node }
            if !heard { sendAnnouncement(to: node, wantReply: true, now: now, &directives) }
        }
    }

    /// Gives neighbours known only second-hand `answerTimeoutMilliseconds` to announce themselves, asks
    /// once more, then forgets them as departed (``nodeLeft(_:now:)``); forgets peers silent for three
    /// refresh periods the same way.
    private mutating func checkUnansweredNeighbours(now: MonotonicTime, _ directives: inout [GeoDirective]) {
        guard position != nil else { return }
        lastHeard = lastHeard.filter { peers[$0.key] != nil }
        let silenceLimit = 3 * refreshMilliseconds + answerTimeoutMilliseconds
        for (peer, heard) in lastHeard.sorted(by: { $0.key < $1.key }) where heard.adding(milliseconds: silenceLimit) <= now {
            directives += nodeLeft(peer, now: now)
        }
        // The clock of a node keeps running while it drops in and out of the neighbourhood (two views
        // that disagree about it make it flap); it stops when the node answers or nobody mentions it.
        unanswered = unanswered.filter { firstHand[$0.key] != nil && !departed.contains($0.key) }
        for node in neighbours.keys.sorted() where peers[node] == nil && unanswered[node] == nil {
            unanswered[node] = (now.adding(milliseconds: answerTimeoutMilliseconds), false)
        }
        let due = Self.dueQuestions(&unanswered, timeoutMilliseconds: answerTimeoutMilliseconds, now: now)
        pursue(due, now: now, &directives)
    }

    /// The questions whose deadline passed, in node order: one not asked again yet is given a new
    /// deadline and is to be asked once more (`giveUp` false); one asked twice already is removed and
    /// its node is to be forgotten as departed (`giveUp` true).
    private static func dueQuestions(
        _ questions: inout Questions, timeoutMilliseconds: UInt64, now: MonotonicTime
    ) -> [(node: NodeID, giveUp: Bool)] {
        var due: [(node: NodeID, giveUp: Bool)] = []
        for (node, entry) in questions.sorted(by: { $0.key < $1.key }) where entry.deadline <= now {
            if entry.askedAgain {
                questions[node] = nil
            } else {
                questions[node] = (now.adding(milliseconds: timeoutMilliseconds), true)
            }
            due.append((node, entry.askedAgain))
        }
        return due
    }

    /// Asks once more, or forgets as departed (``nodeLeft(_:now:)``), the nodes ``dueQuestions`` returned.
    private mutating func pursue(_ due: [(node: NodeID, giveUp: Bool)], now: MonotonicTime, _ directives: inout [GeoDirective]) {
        for (node, giveUp) in due {
            if giveUp {
                directives += nodeLeft(node, now: now)
            } else {
                sendAnnouncement(to: node, wantReply: true, now: now, &directives)
            }
        }
    }

    /// Sends the held publications once this node has found its place, and those that waited
    /// ``placeWaitMilliseconds`` in any case.
    private mutating func sendHeldPublications(now: MonotonicTime, _ directives: inout [GeoDirective]) {
        guard !heldPublications.isEmpty else { return }
        let place = hasPlace
        let held = heldPublications
        heldPublications = []
        for entry in held {
            if place || entry.until <= now {
                route(entry.forward, previous: nil, now: now, &directives)
            } else {
                heldPublications.append(entry)
            }
        }
    }

    /// Recomputes the neighbours from everything known, announces and re-links as needed, and sends the
    /// publications held until this node found its place.
    private mutating func update(forceAnnouncement: Bool, now: MonotonicTime, _ directives: inout [GeoDirective]) {
        updateNeighbours(forceAnnouncement: forceAnnouncement, now: now, &directives)
        sendHeldPublications(now: now, &directives)
    }

    private mutating func updateNeighbours(forceAnnouncement: Bool, now: MonotonicTime, _ directives: inout [GeoDirective]) {
        guard let position else { return }
        var best: [NodeID: VersionedPosition] = [:]
        func merge(_ node: NodeID, _ candidate: VersionedPosition) {
            if let current = best[node], current.version >= candidate.version { return }
            best[node] = candidate
        }
        for (peer, announce) in peers {
            merge(peer, announce.position)
            for (node, known) in announce.neighbours where node != id { merge(node, known) }
            if let claimed = announce.representative, claimed.id != id { merge(claimed.id, claimed.position) }
        }
        // Remember the newest version of every node heard of, so a stale report circulating among
        // neighbours cannot bring an old position back after the newer one stopped being mentioned.
        for (node, known) in firstHand where best[node] != nil { merge(node, known) }
        for (node, known) in best where (firstHand[node]?.version ?? 0) < known.version || firstHand[node] == nil {
            firstHand[node] = known
        }
        if firstHand.count > GeoInstance.rememberedPositions {
            firstHand = firstHand.filter { best[$0.key] != nil }
            heardSequence = heardSequence.filter { firstHand[$0.key] != nil }
        }
        if walking && !walkArrived(best: best, position: position, now: now, &directives) { return }

        let candidates = best.keys.sorted()
        let local = SiteLinks.neighboursOfFirst(
            ids: [id] + candidates, positions: [position] + candidates.map { best[$0]!.position }, in: space)
        var newNeighbours: [NodeID: VersionedPosition] = [:]
        for index in local.neighbours { newNeighbours[candidates[index - 1]] = best[candidates[index - 1]]! }
        // The site's representative: the one the previous member of the chain names, or that member.
        var newRepresentative: GeoNodeEntry?
        if let previousIndex = local.previous {
            let previous = candidates[previousIndex - 1]
            if let claimed = peers[previous]?.representative, claimed.id < previous, let known = best[claimed.id],
               SiteLinks.onePoint(known.position, position, in: space) {
                newRepresentative = GeoNodeEntry(id: claimed.id, position: known)
            } else {
                newRepresentative = GeoNodeEntry(id: previous, position: best[previous]!)
            }
        }

        var newLinked = Set(newNeighbours.keys)
        for (peer, announce) in peers where announce.neighbours[id] != nil { newLinked.insert(peer) }
        // Peers that are neither neighbours nor claim this node are no longer needed.
        peers = peers.filter { newLinked.contains($0.key) }

        let changed = forceAnnouncement || positionUnannounced || Set(newNeighbours.keys) != Set(neighbours.keys)
            || newNeighbours.contains { neighbours[$0.key]?.position != $0.value.position }
            || newRepresentative != representative
        let previousTargets = linked.union(neighbours.keys)
        positionUnannounced = false
        neighbours = newNeighbours
        representative = newRepresentative
        if changed { announcementVersion += 1 }
        if newLinked != linked {
            linked = newLinked
            directives.append(.wantNeighbours(newLinked))
        }
        for node in previousTargets.union(newLinked).sorted() where announcedVersion[node] != announcementVersion {
            if let last = lastAnnounced[node], now < last.adding(milliseconds: announcementIntervalMilliseconds) {
                deferredAnnouncements.insert(node)
            } else {
                sendAnnouncement(to: node, wantReply: peers[node] == nil && newLinked.contains(node), now: now, &directives)
            }
        }
        announcedVersion = announcedVersion.filter { newLinked.contains($0.key) }
    }

    /// One step of the walk: whether this node has arrived (the nearest known node has answered, or
    /// nobody is known and nobody is being asked); otherwise asks the nearest known node.
    private mutating func walkArrived(
        best: [NodeID: VersionedPosition], position: Position, now: MonotonicTime, _ directives: inout [GeoDirective]
    ) -> Bool {
        var nearest: (node: NodeID, distance: Double)?
        for (node, known) in best {
            let distance = space.distance(position, known.position)
            if nearest == nil || distance < nearest!.distance || (distance == nearest!.distance && node < nearest!.node) {
                nearest = (node, distance)
            }
        }
        guard let nearest else {
            // Nobody known: a first node is where it belongs; a newcomer waits for its contacts.
            guard walkAsked.isEmpty else { return false }
            walking = false
            return true
        }
        // Its answer lists its neighbours, now known too: if it is still the nearest, none of them is
        // nearer, and on a Delaunay graph that makes it the nearest node of all.
        if peers[nearest.node] != nil {
            walking = false
            walkAsked = [:]
            return true
        }
        if walkAsked[nearest.node] == nil {
            walkAsked[nearest.node] = (now.adding(milliseconds: walkStepTimeoutMilliseconds), false)
            sendAnnouncement(to: nearest.node, wantReply: true, now: now, &directives)
        }
        return false
    }

    /// Asks again a node of the walk that did not answer, then passes over it (as departed).
    private mutating func checkWalk(now: MonotonicTime, _ directives: inout [GeoDirective]) {
        guard walking, position != nil else { return }
        let due = Self.dueQuestions(&walkAsked, timeoutMilliseconds: walkStepTimeoutMilliseconds, now: now)
        pursue(due, now: now, &directives)
    }

    /// Sends the announcements ``update(forceAnnouncement:now:_:)`` held back, once their node's interval
    /// has passed: by then they carry every change made in between, in one packet.
    private mutating func sendDeferredAnnouncements(now: MonotonicTime, _ directives: inout [GeoDirective]) {
        for node in deferredAnnouncements.sorted() {
            if let last = lastAnnounced[node], now < last.adding(milliseconds: announcementIntervalMilliseconds) {
                continue
            }
            deferredAnnouncements.remove(node)
            if announcedVersion[node] != announcementVersion {
                sendAnnouncement(to: node, wantReply: peers[node] == nil && linked.contains(node), now: now, &directives)
            }
        }
        lastAnnounced = lastAnnounced.filter {
            now < $0.value.adding(milliseconds: announcementIntervalMilliseconds) || linked.contains($0.key)
        }
    }

    private mutating func sendAnnouncement(
        to node: NodeID, wantReply: Bool, now: MonotonicTime, _ directives: inout [GeoDirective]
    ) {
        guard let position else { return }
        announcementSequence += 1
        let announce = GeoAnnounce(
            position: VersionedPosition(position: position, version: positionVersion),
            neighbours: neighbours, wantReply: wantReply, sequence: announcementSequence,
            representative: representative
        )
        announcedVersion[node] = announcementVersion
        lastAnnounced[node] = now
        deferredAnnouncements.remove(node)
        directives.append(.send(SpreadPacket.announce(announce).encoded(), to: node))
    }
}
