/// Something that happened on a `PeerLink`; `.closed` is always the last event.
public enum PeerLinkEvent: Sendable, Hashable {
    /// A local candidate to hand to the remote side's `add(candidate:)`.
    case localCandidate(ICECandidate)
    /// The connection state changed (`RTCPeerConnectionState`).
    case stateChanged(PeerLinkState)
    /// The data channel is open; messages sent before this are held until now.
    case opened
    /// One whole message from the remote side.
    case message([UInt8])
    /// The link closed (locally, remotely, or because the connection failed). The stream ends.
    case closed
}

/// `RTCPeerConnectionState`.
public enum PeerLinkState: Sendable, Hashable {
    case new, connecting, connected, disconnected, failed, closed
}
