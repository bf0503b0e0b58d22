/// Failure detection for a node's open links, as a pure state machine (part of ``NodeMachine``).
///
/// A link idle for the keepalive interval sends a keepalive, so a live peer is heard from at least that
/// often. Silence then escalates in two steps, as in SWIM's suspicion with indirect probes:
/// - after half the link timeout the peer is **suspected**: up to ``probeFanout`` other linked peers,
///   those nearest it on the ring (likely its own neighbours), are asked when they last heard from it;
/// - after the link timeout it is **declared dead**, unless one of them still hears from it: then the
///   link itself is slow or lossy, not the peer, and the link gets up to the vouched timeout.
///
/// Any frame from the peer clears a suspicion (counted as refuted, for measuring false suspicions).
/// Time this node itself was not running (a paused process, a starved thread, a throttled browser tab)
/// is not held against its peers: a gap between ticks beyond the suspicion time is credited (less one
/// keepalive interval) to every link's silence, so a node that wakes up does not declare everyone else
/// dead. What it tells others who ask is the real time since it heard from a peer.
struct LinkLiveness: Sendable {
    /// What the detector asks its node to do.
    enum Action: Equatable, Sendable {
        /// Send a keepalive to this idle link.
        case keepalive(NodeID)
        /// Ask `peer` when it last heard from `subject`.
        case ask(peer: NodeID, about: NodeID)
        /// The peer is dead: close its link.
        case dead(NodeID)
    }

    /// Counters for monitoring and for measuring false suspicions.
    struct Statistics: Equatable, Sendable {
        var suspicions: UInt64 = 0
        var refutedSuspicions: UInt64 = 0
        var vouches: UInt64 = 0
        var declaredDead: UInt64 = 0
        var creditedPauses: UInt64 = 0
    }

    private struct Peer: Sendable {
        /// When a frame last arrived, moved on by the time this node did not run (see ``tick(now:)``):
        /// what this node's own verdicts use.
        var lastReceived: MonotonicTime
        /// When a frame really last arrived: what this node tells others who ask (a credit for its own
        /// pause must not make it vouch for a peer that is dead).
        var lastHeard: MonotonicTime
        var lastSent: MonotonicTime
        var suspectedSince: MonotonicTime?
        var lastAsked: MonotonicTime?
        var vouchedUntil: MonotonicTime?
    }

    /// How many other peers are asked about a suspected one.
    static let probeFanout = 3

    let keepaliveMilliseconds: UInt64
    let timeoutMilliseconds: UInt64
    let vouchedTimeoutMilliseconds: UInt64
    private(set) var statistics = Statistics()
    private var peers: [NodeID: Peer] = [:]
    private var lastTick: MonotonicTime?

    init(settings: RoutingSettings) {
        keepaliveMilliseconds = UInt64(Swift.max(1, settings.keepaliveIntervalMilliseconds))
        timeoutMilliseconds = UInt64(Swift.max(2, settings.linkTimeoutMilliseconds))
        vouchedTimeoutMilliseconds = Swift.max(timeoutMilliseconds, UInt64(settings.vouchedLinkTimeoutMilliseconds))
    }

    private var suspicionMilliseconds: UInt64 { timeoutMilliseconds / 2 }

    // MARK: - Events

    mutating func opened(_ peer: NodeID, now: MonotonicTime) {
        peers[peer] = Peer(lastReceived: now, lastHeard: now, lastSent: now)
    }

    mutating func closed(_ peer: NodeID) {
        peers[peer] = nil
    }

    mutating func removeAll() {
        peers.removeAll()
        lastTick = nil
    }

    mutating func received(from peer: NodeID, now: MonotonicTime) {
        guard var state = peers[peer] else { return }
        state.lastReceived = Swift.max(state.lastReceived, now)
        state.lastHeard = now
        if state.suspectedSince != nil {
            statistics.refutedSuspicions += 1
            state.suspectedSince = nil
            state.lastAsked = nil
            state.vouchedUntil = nil
        }
        peers[peer] = state
    }

    mutating func sent(to peer: NodeID, now: MonotonicTime) {
        peers[peer]?.lastSent = now
    }

    /// How long ago `peer` was last heard from; `nil` when it has no open link (the answer to a query).
    func millisecondsSinceHeard(from peer: NodeID, now: MonotonicTime) -> UInt32? {
        guard let state = peers[peer] else { return nil }
        return UInt32(clamping: now.milliseconds(since: state.lastHeard))
    }

    /// A peer answered a query about `subject`: if it heard from the subject within the suspicion time,
    /// the subject is alive and only this link is slow.
    mutating func reported(_ report: LivenessReport, now: MonotonicTime) {
        guard var state = peers[report.subject], state.suspectedSince != nil,
            let heard = report.heardMillisecondsAgo, UInt64(heard) < suspicionMilliseconds
        else { return }
        statistics.vouches += 1
        state.vouchedUntil = now.adding(milliseconds: timeoutMilliseconds)
        peers[report.subject] = state
    }

    // MARK: - Timer

    mutating func tick(now: MonotonicTime) -> [Action] {
        var out: [Action] = []
        if let last = lastTick, now.milliseconds(since: last) > suspicionMilliseconds {
            // This node did not run for a while: its peers' silence over that time is not theirs. (Only
            // beyond the suspicion time: on a busy machine ticks run late all the time, and crediting
            // every late tick kept crashed peers alive for as long as the vouched timeout.)
            let credit = now.milliseconds(since: last) - keepaliveMilliseconds
            statistics.creditedPauses += 1
            for peer in peers.keys {
                let shifted = peers[peer]!.lastReceived.adding(milliseconds: credit)
                peers[peer]!.lastReceived = Swift.min(shifted, now)
            }
        }
        lastTick = now
        for peer in peers.keys.sorted() {
            guard var state = peers[peer] else { continue }
            let silence = now.milliseconds(since: state.lastReceived)
            if silence >= timeoutMilliseconds {
                let vouched = state.vouchedUntil.map { $0 > now } ?? false
                if !vouched || silence >= vouchedTimeoutMilliseconds {
                    statistics.declaredDead += 1
                    peers[peer] = nil
                    out.append(.dead(peer))
                    continue
                }
            }
            if silence >= suspicionMilliseconds {
                if state.suspectedSince == nil {
                    state.suspectedSince = now
                    statistics.suspicions += 1
                }
                // Asked again every suspicion period, so a vouch lasts only while the subject lives.
                if state.lastAsked.map({ now.milliseconds(since: $0) >= suspicionMilliseconds }) ?? true {
                    state.lastAsked = now
                    for witness in witnesses(for: peer) { out.append(.ask(peer: witness, about: peer)) }
                }
            }
            if now.milliseconds(since: state.lastSent) >= keepaliveMilliseconds {
                state.lastSent = now
                out.append(.keepalive(peer))
            }
            peers[peer] = state
        }
        return out
    }

    /// The linked peers nearest `subject` on the ring in either direction, which most likely link to it
    /// too (its ring neighbours do), and which are not suspected themselves.
    private func witnesses(for subject: NodeID) -> [NodeID] {
        var candidates: [NodeID] = []
        for (id, state) in peers where id != subject && state.suspectedSince == nil { candidates.append(id) }
        return NodeID.nearest(Self.probeFanout, of: candidates) { Swift.min($0.distance(to: subject), subject.distance(to: $0)) }
    }
}
