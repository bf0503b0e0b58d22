import ColonioCore
import ColonioWebRTC

/// Inspection: the node's ring and counters, and each WebRTC link with its selected ICE candidate pair.
extension ColonioNode {
    /// A snapshot of the node: ID, network, ring neighbours, link counts and overlay counters.
    public func status() -> NodeStatus {
        guard let session else {
            var status = NodeStatus.disconnected
            status.subscriptions = subscribers.keys.sorted()
            return status
        }
        let ring = session.machine.ring
        let authenticated = session.authenticatedLinkCount
        return NodeStatus(
            nodeID: session.nodeID, network: session.network, isConnected: true,
            isSeedConnected: session.seed.isConnected, hasJoined: ring?.hasJoined ?? false,
            position: session.geo.position, successors: ring?.successors ?? [], predecessors: ring?.predecessors ?? [],
            linkCount: authenticated, pendingLinkCount: session.links.count - authenticated,
            pendingRequestCount: session.pendingRequests.count, subscriptions: subscribers.keys.sorted(),
            statistics: session.machine.statistics)
    }

    /// Every WebRTC link of this node, sorted by peer ID: its state and, once ICE selected a candidate
    /// pair, the pair's candidate types, round-trip time and byte counts. Empty while disconnected.
    public func links() async -> [LinkStatus] {
        guard let session else { return [] }
        var result: [LinkStatus] = []
        // One link at a time, on the actor: child tasks would capture `NodeID`s (see `LinkKey`).
        for entry in session.links.values.sorted(by: { $0.peer < $1.peer }) {
            var status = LinkStatus(
                peer: entry.peer, state: Self.state(of: entry), isOfferer: entry.isOfferer,
                role: entry.isAuthenticated ? session.machine.ring?.role(of: entry.peer) : nil,
                setupTime: entry.setupTime, age: .now - entry.createdAt,
                iceServerErrors: entry.link.iceServerErrors.map(\.description))
            if let statistics = await entry.link.statistics() {
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

    private static func state(of entry: LinkEntry) -> LinkStatus.State {
        if entry.isAuthenticated { return .authenticated }
        switch entry.connectionState {
        case .disconnected, .failed, .closed: return .disconnected
        case .new, .connecting, .connected: break
        }
        // The hello goes out as soon as the data channel opens.
        if entry.helloSent { return .open }
        return entry.localSDP != nil && entry.remoteSDP != nil ? .connecting : .signaling
    }
}
