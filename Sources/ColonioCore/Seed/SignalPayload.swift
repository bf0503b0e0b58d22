/// One WebRTC signaling message between two nodes, relayed by the seed or the overlay.
///
/// SDP and candidates are the standard strings (`RTCSessionDescription.sdp`, RFC 8839 candidate
/// lines), so browsers and native nodes understand each other.
public struct SignalPayload: Equatable, Sendable {
    /// What the message carries.
    public enum Kind: Equatable, Sendable {
        /// An SDP offer.
        case offer(sdp: String)
        /// An SDP answer.
        case answer(sdp: String)
        /// A trickled ICE candidate; `sdpMid` and `sdpMLineIndex` are optional as in `RTCIceCandidateInit`.
        case candidate(candidate: String, sdpMid: String?, sdpMLineIndex: UInt32?)
    }

    /// Chosen by the node that starts a connection attempt; every signal of that attempt carries it,
    /// so both sides can tell a fresh attempt from a stale one.
    public var sessionID: UInt64
    /// The signaling message.
    public var kind: Kind

    /// Creates a payload.
    public init(sessionID: UInt64, kind: Kind) {
        self.sessionID = sessionID
        self.kind = kind
    }
}

extension SignalPayload: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var sessionID: UInt64 = 0
        var kind: Kind?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: sessionID = try reader.readUInt64(field)
            case 2: kind = .offer(sdp: try reader.readString(field, limit: SeedLimits.sdpBytes))
            case 3: kind = .answer(sdp: try reader.readString(field, limit: SeedLimits.sdpBytes))
            case 4:
                let candidate: ICECandidateMessage = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
                kind = .candidate(
                    candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex)
            default: try reader.skip(field)
            }
        }
        guard let kind else { throw .missingField(2) }
        self.init(sessionID: sessionID, kind: kind)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: sessionID)
        switch kind {
        case .offer(let sdp): writer.write(field: 2, string: sdp)
        case .answer(let sdp): writer.write(field: 3, string: sdp)
        case .candidate(let candidate, let sdpMid, let sdpMLineIndex):
            writer.write(
                field: 4,
                message: ICECandidateMessage(candidate: candidate, sdpMid: sdpMid, sdpMLineIndex: sdpMLineIndex))
        }
    }
}

/// The wire form of ``SignalPayload/Kind/candidate(candidate:sdpMid:sdpMLineIndex:)``.
struct ICECandidateMessage: WireMessage {
    var candidate: String
    var sdpMid: String?
    var sdpMLineIndex: UInt32?

    init(candidate: String, sdpMid: String?, sdpMLineIndex: UInt32?) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(candidate: "", sdpMid: nil, sdpMLineIndex: nil)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: candidate = try reader.readString(field, limit: SeedLimits.candidateBytes)
            case 2: sdpMid = try reader.readString(field, limit: SeedLimits.sdpMidBytes)
            case 3: sdpMLineIndex = try reader.readUInt32(field)
            default: try reader.skip(field)
            }
        }
    }

    func encode(to writer: inout WireWriter) {
        writer.write(field: 1, string: candidate)
        if let sdpMid { writer.write(field: 2, string: sdpMid) }
        if let sdpMLineIndex { writer.write(field: 3, uint64: UInt64(sdpMLineIndex)) }
    }
}
