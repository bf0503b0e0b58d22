/// Figures of a link's selected ICE candidate pair.
public struct LinkStatistics: Sendable, Hashable {
    /// `RTCIceCandidateType`.
    public enum CandidateType: String, Sendable, Hashable {
        case host, serverReflexive = "srflx", peerReflexive = "prflx", relay
    }

    public var localCandidateType: CandidateType?
    public var remoteCandidateType: CandidateType?
    /// The latest STUN round-trip time of the pair; `nil` until measured.
    public var roundTripTime: Duration?
    public var bytesSent: UInt64
    public var bytesReceived: UInt64

    public init(
        localCandidateType: CandidateType?, remoteCandidateType: CandidateType?, roundTripTime: Duration?,
        bytesSent: UInt64, bytesReceived: UInt64
    ) {
        self.localCandidateType = localCandidateType
        self.remoteCandidateType = remoteCandidateType
        self.roundTripTime = roundTripTime
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
    }
}
