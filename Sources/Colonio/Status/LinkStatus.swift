import ColonioCore

/// One WebRTC link of a ``ColonioNode`` as ``ColonioNode/links()`` reports it.
public struct LinkStatus: Sendable, Hashable {
    /// How far the link has come, in the order links go through it.
    public enum State: String, Sendable, Hashable {
        /// Offer and answer are still being exchanged.
        case signaling
        /// Both descriptions are applied; ICE and DTLS are connecting.
        case connecting
        /// The data channel is open; the peer's certificate hello has not verified yet.
        case open
        /// The peer proved its certificate; the link carries overlay traffic.
        case authenticated
        /// ICE lost connectivity or failed; the link closes unless it recovers.
        case disconnected
    }

    /// `RTCIceCandidateType` of one end of the selected candidate pair.
    public enum CandidateType: String, Sendable, Hashable {
        case host, serverReflexive = "srflx", peerReflexive = "prflx", relay
    }

    /// The node at the other end.
    public var peer: NodeID
    public var state: State
    /// Whether this node made the WebRTC offer.
    public var isOfferer: Bool
    /// Why this node keeps the link on the ring (`nil` until authenticated).
    public var role: LinkRole?
    /// This side's candidate of the selected pair; `nil` until ICE selected one.
    public var localCandidateType: CandidateType?
    /// The peer's candidate of the selected pair; `nil` until ICE selected one.
    public var remoteCandidateType: CandidateType?
    /// The latest STUN round-trip time of the selected pair; `nil` until measured. libwebrtc measures
    /// whole milliseconds, so loopback links show zero.
    public var roundTripTime: Duration?
    /// Bytes sent and received over the selected pair (counting restarts when ICE switches pairs).
    public var bytesSent: UInt64
    public var bytesReceived: UInt64

    /// Creates a status (the node creates them; public for tests and tools).
    public init(
        peer: NodeID, state: State, isOfferer: Bool, role: LinkRole? = nil,
        localCandidateType: CandidateType? = nil, remoteCandidateType: CandidateType? = nil,
        roundTripTime: Duration? = nil, bytesSent: UInt64 = 0, bytesReceived: UInt64 = 0
    ) {
        self.peer = peer
        self.state = state
        self.isOfferer = isOfferer
        self.role = role
        self.localCandidateType = localCandidateType
        self.remoteCandidateType = remoteCandidateType
        self.roundTripTime = roundTripTime
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
    }
}
