/// The ring routing table of one node as a pure state machine.
///
/// Inputs are method calls (link events, received link states, owner lookups' results, timer ticks);
/// outputs are ``RingDirective`` values. The ring keeps:
/// - `successorCount` successors and `predecessorCount` predecessors, exchanged with those neighbours
///   every `stabilizeIntervalMilliseconds` (``LinkState``) so joins and crashes converge;
/// - long links at finger-style distances `2^(128-k)` from the node's ID, at most half of the links left
///   after the ring neighbours, refreshed every `longLinkRefreshIntervalMilliseconds`;
/// - at most `maximumLinks` links: links that only the peer uses as long links are closed first, ring
///   neighbour links never.
///
/// Ownership: the owner of an ID is the node with the greatest ID less than or equal to it, wrapping
/// around the ring (as in the original Colonio). Greedy routing forwards to the linked node closest
/// before the target (smallest clockwise distance to it), which strictly shrinks the distance at every
/// hop and ends at the owner once successor lists are right.
///
/// A node is forgotten only after two failures of this node's own links to it (a closed link whose
/// reconnection also failed, or two failed connects); nothing another node reports removes it.
public struct RingInstance: Sendable {
    private struct Link: Sendable {
        var opened: MonotonicTime
        /// The peer's role for the link, from its last link state; `nil` until one arrives.
        var peerRole: LinkRole?
        /// The role last announced to the peer.
        var announcedRole: LinkRole?
        /// Since when neither side has needed the link.
        var unneededSince: MonotonicTime?
    }

    /// One finger level: any node in the half-open arc just before `target` (within `offset / 2` of it)
    /// serves it, so an existing link there is reused before a new one is opened.
    private struct LongLink: Sendable {
        var target: NodeID
        var offset: UInt128
        var node: NodeID?
        /// Nodes in the arc learned from the last owner lookup, best first, not yet tried.
        var candidates: [NodeID] = []
        /// The ID of an extra lookup walking back through the arc after refusals, and how many were made.
        var walkTarget: NodeID?
        var walkSteps = 0

        func serves(_ id: NodeID) -> Bool { id.distance(to: target) < offset / 2 }
    }

    /// Extra lookups per level and refresh when the nodes found so far refused a long link.
    private static let longLinkWalkSteps = 3
    /// Failures after which a node is forgotten.
    private static let failureLimit: UInt32 = 2

    /// The network's routing parameters.
    public let settings: RoutingSettings
    /// This node's ID.
    public let localID: NodeID

    private var links: [NodeID: Link] = [:]
    private var pending: [NodeID: MonotonicTime] = [:]
    private var candidates: Set<NodeID> = []
    private var failures: [NodeID: UInt32] = [:]
    /// Nodes not to connect to until the given time (after repeated failures).
    private var backoff: [NodeID: MonotonicTime] = [:]
    /// Nodes that closed our link because of their cap: no long link to them until the given time.
    private var refused: [NodeID: MonotonicTime] = [:]
    private var longLinks: [LongLink] = []
    private var auxiliary: Set<NodeID> = []

    /// The nearest known successors, nearest first (linked or being linked).
    public private(set) var successors: [NodeID] = []
    /// The nearest known predecessors, nearest first (linked or being linked).
    public private(set) var predecessors: [NodeID] = []
    /// Whether the node has found its place on the ring: the ring told it where it belongs (the join
    /// lookup answered, or a linked peer's link state lists this node among its successors or
    /// predecessors) and it has not lost every link since; or it knows no other node, so it is alone on
    /// the ring (it started alone, or every other node left).
    ///
    /// A node that joined through its links does not wait for the join lookup: one sent through a ring
    /// that is still repairing can be dropped, and was retried only a stabilization interval later.
    public private(set) var hasJoined = false
    private var started = false
    private var joinLookupInFlight = false
    private var nextStabilize = MonotonicTime.zero
    private var nextLongLinkRefresh: MonotonicTime?

    /// Creates the ring state of the node `localID`.
    public init(localID: NodeID, settings: RoutingSettings) {
        self.localID = localID
        self.settings = settings
    }

    // MARK: - Queries

    /// The nodes with an open link, in ID order.
    public var linkedPeers: [NodeID] { links.keys.sorted() }
    /// How many links are open.
    public var linkCount: Int { links.count }
    /// Whether a link to `peer` is open.
    public func isLinked(_ peer: NodeID) -> Bool { links[peer] != nil }
    /// The nodes this node keeps as long links, in ID order without repeats.
    public var longLinkNodes: [NodeID] {
        var nodes: Set<NodeID> = []
        for link in longLinks { if let node = link.node { nodes.insert(node) } }
        return nodes.sorted()
    }
    /// Every long-link level: its target ID and the node serving it, if any (for monitoring and pictures).
    public var longLinkLevels: [(target: NodeID, node: NodeID?)] {
        longLinks.map { (target: $0.target, node: $0.node) }
    }
    /// The most long links this node opens itself.
    public var longLinkBudget: Int {
        let ringLinks = Int(settings.successorCount + settings.predecessorCount)
        return Swift.max(0, (Int(settings.maximumLinks) - ringLinks) / 2)
    }

    /// Why the peer keeps its link to this node, as it last said; `nil` before it said so.
    public func peerRole(of peer: NodeID) -> LinkRole? { links[peer]?.peerRole }

    /// Why this node keeps the link to `peer`.
    public func role(of peer: NodeID) -> LinkRole {
        if successors.contains(peer) || predecessors.contains(peer) { return .neighbour }
        if auxiliary.contains(peer) { return .long }
        for link in longLinks where link.node == peer { return .long }
        return .none
    }

    /// The next hop toward the owner of `target`.
    public func nextHop(toward target: NodeID) -> NextHop {
        let ownDistance = localID.distance(to: target)
        if ownDistance == 0 { return .local }
        var best: NodeID?
        var bestDistance = ownDistance
        for peer in links.keys {
            let distance = peer.distance(to: target)
            if distance < bestDistance {
                best = peer
                bestDistance = distance
            }
        }
        if let best { return .forward(best) }
        // A successor we are still (re)connecting to would own the target: delivering here would be wrong.
        for successor in successors where successor.distance(to: target) < ownDistance {
            return .unavailable
        }
        return .local
    }

    // MARK: - Inputs

    /// Starts the ring with the peers the seed suggested; with none, the node is alone on the ring.
    public mutating func start(bootstrapPeers: [NodeID], now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        started = true
        for peer in bootstrapPeers where peer != localID { candidates.insert(peer) }
        if candidates.isEmpty { hasJoined = true }
        nextStabilize = now.adding(milliseconds: UInt64(settings.stabilizeIntervalMilliseconds))
        refreshNeighbours(now: now, into: &out)
        return out
    }

    /// Peers the seed named after this node lost every link (or found none to start with): they become
    /// candidates again, even ones given up on, since the seed has them registered now. A node with no
    /// links looks up its place on the ring again once one opens.
    public mutating func rejoin(peers: [NodeID], now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        guard started else { return out }
        for peer in peers where peer != localID && links[peer] == nil {
            backoff[peer] = nil
            failures[peer] = nil
            candidates.insert(peer)
        }
        if links.isEmpty && !candidates.isEmpty {
            hasJoined = false
            joinLookupInFlight = false
        }
        refreshNeighbours(now: now, into: &out)
        return out
    }

    /// A link opened (either side initiated it).
    public mutating func linkOpened(_ peer: NodeID, now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        guard peer != localID else { return [.disconnect(peer)] }
        if links[peer] == nil { links[peer] = Link(opened: now) }
        pending[peer] = nil
        failures[peer] = nil
        backoff[peer] = nil
        candidates.remove(peer)
        refreshNeighbours(now: now, into: &out)
        if links.count > Int(settings.maximumLinks) {
            // Full: a link this node does not need as a ring neighbour is refused at once (the peer wanted
            // a long link and tries another node); for a new neighbour, another link makes room.
            if role(of: peer) == .none {
                out.removeAll { if case .sendLinkState(_, peer) = $0 { true } else { false } }
                close(peer, into: &out)
                return out
            }
            enforceLinkCap(now: now, into: &out)
        }
        if links[peer]?.announcedRole == nil { announce(to: peer, now: now, into: &out) }
        if !hasJoined && !joinLookupInFlight {
            joinLookupInFlight = true
            out.append(.lookupOwner(of: joinTarget))
        }
        return out
    }

    /// An open link closed or was found dead.
    public mutating func linkClosed(_ peer: NodeID, now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        guard links.removeValue(forKey: peer) != nil else { return out }
        let wasNeighbour = successors.contains(peer) || predecessors.contains(peer)
        if wasNeighbour { recordFailure(of: peer, now: now) }
        replaceLongLinks(to: peer, now: now, into: &out)
        refreshNeighbours(now: now, into: &out)
        checkPlace()
        return out
    }

    /// The failure detector found `peer` dead: nobody heard from it for the link timeout (see
    /// ``LinkLiveness``). Unlike a closed link, which may be the transport's doing and is retried, it is
    /// forgotten at once, as if it had left: retrying a crashed neighbour would keep it in the lists
    /// for a connect timeout. Should it be alive after all, its own link to this node brings it back.
    public mutating func peerDeclaredDead(_ peer: NodeID, now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        guard links[peer] != nil || pending[peer] != nil || candidates.contains(peer) else { return out }
        peerLeft(peer, now: now, into: &out)
        return out
    }

    /// A link this node asked for could not be opened.
    public mutating func linkFailed(_ peer: NodeID, now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        guard pending.removeValue(forKey: peer) != nil, links[peer] == nil else { return out }
        recordFailure(of: peer, now: now)
        replaceLongLinks(to: peer, now: now, into: &out)
        refreshNeighbours(now: now, into: &out)
        checkPlace()
        return out
    }

    /// A directly linked peer sent its link state.
    public mutating func linkStateReceived(_ state: LinkState, from peer: NodeID, now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        guard var link = links[peer] else { return out }
        if state.leaving {
            peerLeft(peer, now: now, into: &out)
            return out
        }
        if state.closing {
            // The peer is closing the link (its cap or no use for it): forget it as a link, not as a node.
            // Its lists may show why (closer neighbours this node did not know yet).
            let wasNeighbour = successors.contains(peer) || predecessors.contains(peer)
            links[peer] = nil
            refused[peer] = now.adding(milliseconds: UInt64(settings.longLinkRefreshIntervalMilliseconds))
            for id in state.successors { learn(id, now: now) }
            for id in state.predecessors { learn(id, now: now) }
            if wasNeighbour { recordFailure(of: peer, now: now) } else { candidates.insert(peer) }
            replaceLongLinks(to: peer, now: now, into: &out)
            refreshNeighbours(now: now, into: &out)
            checkPlace()
            return out
        }
        link.peerRole = state.role
        links[peer] = link
        for id in state.successors { learn(id, now: now) }
        for id in state.predecessors { learn(id, now: now) }
        if !hasJoined && (state.successors.contains(localID) || state.predecessors.contains(localID)) {
            // The peer counts this node as its ring neighbour: the ring has taken it in.
            markJoined(now: now)
        }
        forgetContradicted(by: state, from: peer, into: &out)
        refreshNeighbours(now: now, into: &out)
        enforceLinkCap(now: now, into: &out)
        return out
    }

    /// `peer` said it leaves the network: it is gone at once (no reconnection attempts, no waiting for
    /// a link timeout), and nobody's stale list brings it back for a while.
    private mutating func peerLeft(_ peer: NodeID, now: MonotonicTime, into out: inout [RingDirective]) {
        links[peer] = nil
        pending[peer] = nil
        failures[peer] = nil
        candidates.remove(peer)
        auxiliary.remove(peer)
        // Until every neighbour's list has been refreshed without it (a few stabilization rounds).
        backoff[peer] = now.adding(
            milliseconds: UInt64(settings.linkTimeoutMilliseconds) + 3 * UInt64(settings.stabilizeIntervalMilliseconds))
        out.append(.disconnect(peer))
        replaceLongLinks(to: peer, now: now, into: &out)
        refreshNeighbours(now: now, into: &out)
        checkPlace()
    }

    /// The link states that tell every linked peer this node leaves the network.
    public func leaveAnnouncements() -> [RingDirective] {
        linkedPeers.map { .sendLinkState(LinkState(role: .none, closing: true, leaving: true), to: $0) }
    }

    /// The owner lookup for `target` answered.
    public mutating func ownerFound(for target: NodeID, reply: OwnerReply, now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        if target == joinTarget {
            joinLookupInFlight = false
            hasJoined = true
            scheduleLongLinkRefresh(at: now.adding(milliseconds: UInt64(settings.stabilizeIntervalMilliseconds) * 2))
        }
        learn(reply.owner, now: now)
        for id in reply.successors { learn(id, now: now) }
        for id in reply.predecessors { learn(id, now: now) }
        refreshNeighbours(now: now, into: &out)
        for index in longLinks.indices where longLinks[index].target == target || longLinks[index].walkTarget == target {
            if longLinks[index].target == target { longLinks[index].walkSteps = 0 }
            longLinks[index].walkTarget = nil
            // The owner, then the nodes just before it, as long as they lie in the level's arc.
            var choices: [NodeID] = []
            for id in [reply.owner] + reply.predecessors
            where id != localID && longLinks[index].serves(id) && !choices.contains(id) {
                choices.append(id)
            }
            longLinks[index].candidates = choices
            if let node = longLinks[index].node, links[node] != nil || pending[node] != nil,
                longLinks[index].serves(node)
            {
                continue  // keep a working long link in the arc
            }
            longLinks[index].node = nil
            connectLongLink(index, now: now, into: &out)
        }
        announceRoleChanges(now: now, into: &out)
        return out
    }

    /// The owner lookup for `target` failed; it is tried again later.
    public mutating func ownerLookupFailed(for target: NodeID, now: MonotonicTime) -> [RingDirective] {
        if target == joinTarget { joinLookupInFlight = false }
        return []
    }

    /// Marks links another sub-protocol needs (for example geographic neighbours): they are opened,
    /// announced as long links and never closed as unneeded.
    public mutating func setAuxiliaryLinks(_ peers: Set<NodeID>, now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        auxiliary = peers
        auxiliary.remove(localID)
        for peer in auxiliary.sorted() where links[peer] == nil && pending[peer] == nil && backoff[peer] == nil {
            pending[peer] = now
            out.append(.connect(peer))
        }
        announceRoleChanges(now: now, into: &out)
        return out
    }

    /// Advances timers: connect timeouts, stabilization, long-link refresh, closing unneeded links.
    public mutating func tick(now: MonotonicTime) -> [RingDirective] {
        var out: [RingDirective] = []
        guard started else { return out }
        let connectTimeout = UInt64(settings.connectTimeoutMilliseconds)
        let timedOut = pending.filter { now.milliseconds(since: $0.value) >= connectTimeout }.keys.sorted()
        for peer in timedOut {
            out.append(.disconnect(peer))
            out.append(contentsOf: linkFailed(peer, now: now))
        }
        checkPlace()
        if !backoff.isEmpty { backoff = backoff.filter { $0.value > now } }
        if !failures.isEmpty {
            // A failure counts only toward the next attempt; forget counts of nodes no longer pursued.
            failures = failures.filter { candidates.contains($0.key) || pending[$0.key] != nil }
        }
        if !refused.isEmpty { refused = refused.filter { $0.value > now } }
        if now >= nextStabilize {
            nextStabilize = now.adding(milliseconds: UInt64(settings.stabilizeIntervalMilliseconds))
            refreshNeighbours(now: now, into: &out)
            var neighbours = Set(successors)
            neighbours.formUnion(predecessors)
            for peer in neighbours.sorted() where links[peer] != nil { announce(to: peer, now: now, into: &out) }
            if !hasJoined && !joinLookupInFlight && !links.isEmpty {
                joinLookupInFlight = true
                out.append(.lookupOwner(of: joinTarget))
            }
            closeUnneededLinks(now: now, into: &out)
            enforceLinkCap(now: now, into: &out)
        }
        if hasJoined, let refresh = nextLongLinkRefresh, now >= refresh {
            nextLongLinkRefresh = now.adding(milliseconds: UInt64(settings.longLinkRefreshIntervalMilliseconds))
            refreshLongLinkTargets()
            var unserved = false
            for index in longLinks.indices where longLinks[index].node == nil {
                unserved = true
                longLinks[index].walkSteps = 0
                out.append(.lookupOwner(of: longLinks[index].target))
            }
            if unserved {
                // Levels left without a link (refusals, lost lookups) are tried again sooner.
                let retry = now.adding(milliseconds: 5 * UInt64(settings.stabilizeIntervalMilliseconds))
                nextLongLinkRefresh = Swift.min(nextLongLinkRefresh ?? retry, retry)
            }
            announceRoleChanges(now: now, into: &out)
        }
        return out
    }

    // MARK: - Internals

    /// The ID whose owner is this node's predecessor on the ring as it was before this node joined.
    private var joinTarget: NodeID { localID.retreated(by: 1) }

    private mutating func markJoined(now: MonotonicTime) {
        guard !hasJoined else { return }
        hasJoined = true
        scheduleLongLinkRefresh(at: now.adding(milliseconds: UInt64(settings.stabilizeIntervalMilliseconds) * 2))
    }

    /// Keeps ``hasJoined`` true to the node's links: a node that lost every link has lost its place while
    /// it still knows other nodes to link to (it looks its place up again once a link opens); one that
    /// knows nobody any more is alone on the ring, which is its place.
    private mutating func checkPlace() {
        guard started, links.isEmpty else { return }
        if candidates.isEmpty && pending.isEmpty {
            hasJoined = true
        } else if hasJoined {
            hasJoined = false
            joinLookupInFlight = false
        }
    }

    private func isRefused(_ peer: NodeID, now: MonotonicTime) -> Bool {
        if let until = refused[peer], until > now { return true }
        return false
    }

    private mutating func learn(_ id: NodeID, now: MonotonicTime) {
        guard id != localID, links[id] == nil, backoff[id] == nil else { return }
        candidates.insert(id)
    }

    /// Nodes this one has only heard of (candidates, or being linked) that `peer`'s lists pass over:
    /// `peer` lists its linked successors nearest first, so a node between `peer` and its last listed
    /// successor that is not listed is not linked to `peer` (and likewise for predecessors). A crashed
    /// node is learned from others' lists before they notice the crash; without this, it stayed in this
    /// node's lists, tried and retried, for two connect timeouts. A node wrongly dropped (one `peer` is
    /// still linking) comes back with `peer`'s next list, or links to this node itself. Only hearsay
    /// goes this way: nodes this one lost a link to are counted by `recordFailure`.
    private mutating func forgetContradicted(by state: LinkState, from peer: NodeID, into out: inout [RingDirective]) {
        var unlinked = candidates
        for id in pending.keys where links[id] == nil { unlinked.insert(id) }
        guard !unlinked.isEmpty else { return }
        // A node this node was linked to and lost (it has a failure count) is retried whatever others
        // say: nothing another node reports removes a node this one knew first-hand.
        for id in unlinked.sorted() where id != peer && failures[id] == nil {
            var passedOver = false
            if let last = state.successors.last, id.isBetween(peer, andIncluding: last), !state.successors.contains(id) {
                passedOver = true
            }
            if let last = state.predecessors.last, id.isBetween(last, andIncluding: peer), id != peer,
                !state.predecessors.contains(id)
            {
                passedOver = true
            }
            guard passedOver else { continue }
            candidates.remove(id)
            failures[id] = nil
            if pending.removeValue(forKey: id) != nil { out.append(.disconnect(id)) }
            for index in longLinks.indices where longLinks[index].node == id { longLinks[index].node = nil }
        }
    }

    private mutating func recordFailure(of peer: NodeID, now: MonotonicTime) {
        let count = (failures[peer] ?? 0) + 1
        if count >= RingInstance.failureLimit {
            failures[peer] = nil
            candidates.remove(peer)
            backoff[peer] = now.adding(milliseconds: 3 * UInt64(settings.connectTimeoutMilliseconds))
        } else {
            failures[peer] = count
            candidates.insert(peer)
        }
    }

    /// The long links through `peer` are gone: try the next node in each level's arc.
    private mutating func replaceLongLinks(to peer: NodeID, now: MonotonicTime, into out: inout [RingDirective]) {
        for index in longLinks.indices where longLinks[index].node == peer {
            longLinks[index].node = nil
            connectLongLink(index, now: now, into: &out)
        }
        for index in longLinks.indices { longLinks[index].candidates.removeAll { $0 == peer } }
    }

    /// Links the first usable candidate of a level, if this node has room for another link. When every
    /// candidate refused, looks further back through the level's arc (a few steps per refresh).
    private mutating func connectLongLink(_ index: Int, now: MonotonicTime, into out: inout [RingDirective]) {
        var lastTried: NodeID?
        while !longLinks[index].candidates.isEmpty {
            let candidate = longLinks[index].candidates.removeFirst()
            lastTried = candidate
            if links[candidate] != nil || pending[candidate] != nil {
                longLinks[index].node = candidate
                return
            }
            guard !isRefused(candidate, now: now), backoff[candidate] == nil else { continue }
            guard links.count + pending.count < Int(settings.maximumLinks) else { return }
            longLinks[index].node = candidate
            pending[candidate] = now
            out.append(.connect(candidate))
            return
        }
        guard let lastTried, longLinks[index].walkSteps < RingInstance.longLinkWalkSteps else { return }
        let next = lastTried.retreated(by: 1)
        guard longLinks[index].serves(next), next != localID else { return }
        longLinks[index].walkSteps += 1
        longLinks[index].walkTarget = next
        out.append(.lookupOwner(of: next))
    }

    private mutating func scheduleLongLinkRefresh(at time: MonotonicTime) {
        if let current = nextLongLinkRefresh, current <= time { return }
        nextLongLinkRefresh = time
    }

    /// Recomputes the successor and predecessor lists from every node known, connects to the missing
    /// ones and tells peers whose role changed.
    private mutating func refreshNeighbours(now: MonotonicTime, into out: inout [RingDirective]) {
        var known = candidates
        for peer in links.keys { known.insert(peer) }
        for peer in pending.keys { known.insert(peer) }
        let spareSuccessors = Int(settings.successorCount) * 2
        let sparePredecessors = Int(settings.predecessorCount) * 2
        let byDistanceAfter = NodeID.nearest(spareSuccessors, of: known) { localID.distance(to: $0) }
        let byDistanceBefore = NodeID.nearest(sparePredecessors, of: known) { $0.distance(to: localID) }
        // Keep a few spares beyond the lists so a crash of several neighbours in a row heals quickly.
        var keep = Set(byDistanceAfter)
        keep.formUnion(byDistanceBefore)
        candidates.formIntersection(keep)
        let newSuccessors = Array(byDistanceAfter.prefix(Int(settings.successorCount)))
        let newPredecessors = Array(byDistanceBefore.prefix(Int(settings.predecessorCount)))
        if newSuccessors != successors || newPredecessors != predecessors {
            successors = newSuccessors
            predecessors = newPredecessors
            out.append(.neighboursChanged)
            if hasJoined { scheduleLongLinkRefresh(at: now.adding(milliseconds: UInt64(settings.stabilizeIntervalMilliseconds) * 2)) }
        }
        var wanted = successors
        for peer in predecessors where !wanted.contains(peer) { wanted.append(peer) }
        for peer in wanted where links[peer] == nil && pending[peer] == nil {
            pending[peer] = now
            out.append(.connect(peer))
        }
        announceRoleChanges(now: now, into: &out)
    }

    private mutating func announceRoleChanges(now: MonotonicTime, into out: inout [RingDirective]) {
        for peer in links.keys.sorted() where links[peer]?.announcedRole != role(of: peer) {
            announce(to: peer, now: now, into: &out)
        }
    }

    private mutating func announce(to peer: NodeID, now: MonotonicTime, into out: inout [RingDirective]) {
        guard var link = links[peer] else { return }
        let ownRole = role(of: peer)
        link.announcedRole = ownRole
        links[peer] = link
        out.append(.sendLinkState(LinkState(role: ownRole, successors: linkedList(successors),
                                            predecessors: linkedList(predecessors)), to: peer))
    }

    /// Only nodes with open links are advertised, so a crashed node stops spreading when its links close.
    private func linkedList(_ ids: [NodeID]) -> [NodeID] {
        ids.filter { links[$0] != nil }
    }

    private mutating func closeUnneededLinks(now: MonotonicTime, into out: inout [RingDirective]) {
        let grace = 3 * UInt64(settings.stabilizeIntervalMilliseconds)
        for peer in links.keys.sorted() {
            guard var link = links[peer] else { continue }
            let peerNeeds = link.peerRole.map { $0 != .none }
                ?? (now.milliseconds(since: link.opened) < UInt64(settings.connectTimeoutMilliseconds))
            if role(of: peer) != .none || peerNeeds {
                if link.unneededSince != nil {
                    link.unneededSince = nil
                    links[peer] = link
                }
                continue
            }
            guard let since = link.unneededSince else {
                link.unneededSince = now
                links[peer] = link
                continue
            }
            if now.milliseconds(since: since) >= grace { close(peer, into: &out) }
        }
    }

    /// Closes links only others use as long links when this node has more links than the cap, counting
    /// room for its own unlinked long-link levels (so its own long links always fit); ring-neighbour
    /// links never go.
    private mutating func enforceLinkCap(now: MonotonicTime, into out: inout [RingDirective]) {
        let cap = Int(settings.maximumLinks)
        // Room kept for long-link levels this node has not linked yet.
        let reserved = longLinks.filter { $0.node == nil }.count
        while true {
            var evictable: [(id: NodeID, peerRole: LinkRole, opened: MonotonicTime)] = []
            for (peer, link) in links where role(of: peer) == .none {
                let peerRole: LinkRole
                if let known = link.peerRole {
                    peerRole = known
                } else if now.milliseconds(since: link.opened) < UInt64(settings.connectTimeoutMilliseconds) {
                    continue  // the peer has not said why it linked yet
                } else {
                    peerRole = .none
                }
                if peerRole != .neighbour { evictable.append((peer, peerRole, link.opened)) }
            }
            guard links.count + (evictable.isEmpty ? 0 : reserved) > cap else { return }
            // Unneeded links first, then the newest long link (older ones keep serving their owners).
            var victim: (id: NodeID, peerRole: LinkRole, opened: MonotonicTime)?
            for candidate in evictable {
                if let current = victim {
                    let better = candidate.peerRole < current.peerRole
                        || (candidate.peerRole == current.peerRole
                            && (candidate.opened > current.opened
                                || (candidate.opened == current.opened && candidate.id > current.id)))
                    if !better { continue }
                }
                victim = candidate
            }
            if victim == nil, links.count > cap {
                // Still over the cap (new ring neighbours, reused links): drop this node's own newest long
                // link; routing stays correct without it.
                for (peer, link) in links where role(of: peer) == .long && !auxiliary.contains(peer) {
                    guard link.peerRole != .neighbour else { continue }
                    if let current = victim, link.opened < current.opened || (link.opened == current.opened && peer < current.id) {
                        continue
                    }
                    victim = (peer, link.peerRole ?? .none, link.opened)
                }
            }
            guard let victim else { return }
            close(victim.id, into: &out)
        }
    }

    private mutating func close(_ peer: NodeID, into out: inout [RingDirective]) {
        let state = LinkState(role: .none, successors: linkedList(successors), predecessors: linkedList(predecessors),
                              closing: true)
        out.append(.sendLinkState(state, to: peer))
        out.append(.disconnect(peer))
        links[peer] = nil
        for index in longLinks.indices where longLinks[index].node == peer { longLinks[index].node = nil }
    }

    /// Long-link targets at `2^(128-k)` beyond this node, for every level whose target lies beyond the
    /// successor list; spread evenly over the levels when there are more than the budget.
    private mutating func refreshLongLinkTargets() {
        guard let farthest = successors.last else {
            longLinks = []
            return
        }
        let covered = localID.distance(to: farthest)
        var levels: [UInt128] = []
        var shift = 127
        while shift > 0 {
            let offset = UInt128(1) << UInt128(shift)
            if offset <= covered { break }
            levels.append(offset)
            shift -= 1
        }
        let budget = longLinkBudget
        if levels.count > budget {
            if budget == 0 {
                levels = []
            } else if budget == 1 {
                levels = [levels[0]]
            } else {
                let last = levels.count - 1
                levels = (0..<budget).map { levels[($0 * last + (budget - 1) / 2) / (budget - 1)] }
            }
        }
        var updated: [LongLink] = []
        for offset in levels {
            let target = localID.advanced(by: offset)
            var link = LongLink(target: target, offset: offset)
            if let previous = longLinks.first(where: { $0.target == target }), let node = previous.node,
                links[node] != nil || pending[node] != nil
            {
                link.node = node
            } else {
                // Reuse an open link in the arc (often another node's long link to this one).
                var best: (id: NodeID, distance: UInt128)?
                for peer in links.keys where link.serves(peer) {
                    let distance = peer.distance(to: target)
                    if best == nil || distance < best!.distance { best = (peer, distance) }
                }
                link.node = best?.id
            }
            updated.append(link)
        }
        longLinks = updated
    }
}
