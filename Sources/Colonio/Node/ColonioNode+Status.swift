import ColonioCore
import ColonioWebRTC

/// Inspection: the node's ring and counters, and each WebRTC link with its selected ICE candidate pair.
extension ColonioNode {
    /// A snapshot of the node: ID, network, ring neighbours, link counts and overlay counters.
    public func status() -> NodeStatus {
        guard let session, let state = controller.session else {
            var status = NodeStatus.disconnected
            status.subscriptions = subscribers.keys.sorted()
            return status
        }
        let ring = state.machine.ring
        let authenticated = state.authenticatedLinkCount
        return NodeStatus(
            nodeID: state.nodeID, network: state.network, isConnected: true,
            isSeedConnected: session.seed.isConnected, hasJoined: ring?.hasJoined ?? false,
            position: state.geo.position, successors: ring?.successors ?? [], predecessors: ring?.predecessors ?? [],
            linkCount: authenticated, pendingLinkCount: state.links.count - authenticated,
            pendingRequestCount: session.pendingRequests.count, subscriptions: subscribers.keys.sorted(),
            statistics: state.machine.statistics)
    }

    /// Every WebRTC link of this node, sorted by peer ID: its state and, once ICE selected a candidate
    /// pair, the pair's candidate types, round-trip time and byte counts. Empty while disconnected.
    public func links() async -> [LinkStatus] {
        guard let session, let state = controller.session else { return [] }
        var result: [LinkStatus] = []
        let now = now()
        // One link at a time, on the actor: child tasks would capture `NodeID`s (see `LinkKey`).
        for negotiation in state.links.values.sorted(by: { $0.peer < $1.peer }) {
            let link = session.links[negotiation.peer].flatMap { $0.session == negotiation.session ? $0 : nil }
            var status = LinkStatus(
                peer: negotiation.peer, state: Self.state(of: negotiation, link?.connectionState), isOfferer: negotiation.isOfferer,
                role: negotiation.isAuthenticated ? state.machine.ring?.role(of: negotiation.peer) : nil,
                setupTime: negotiation.setupMilliseconds.map { .milliseconds(Int64($0)) },
                age: .milliseconds(Int64(now.milliseconds(since: negotiation.startedAt))),
                iceServerErrors: link?.link.iceServerErrors.map(\.description) ?? [])
            if let statistics = await link?.link.statistics() {
                status.localCandidateType = statistics.localCandidateType.flatMap { .init(rawValue: $0.rawValue) }
                status.remoteCandidateType = statistics.remoteCandidateType.flatMap { .init(rawValue: $0.rawValue) }
                status.roundTripTime = statistics.roundTripTime
                status.bytesSent = statistics.bytesSent
                status.bytesReceived = statistics.bytesReceived
            }
            result.append(status)
        }
        return result
    }

    private static func state(of negotiation: LinkNegotiation, _ connection: PeerLinkState?) -> LinkStatus.State {
        if negotiation.isAuthenticated { return .authenticated }
        switch connection {
        case .disconnected, .failed, .closed: return .disconnected
        case .new, .connecting, .connected, nil: break
        }
        switch negotiation.phase {
        case .offering, .awaitingAnswer, .answering: return .signaling
        case .connecting: return .connecting
        case .awaitingHello, .verifying, .authenticated: return .open
        }
    }
}
