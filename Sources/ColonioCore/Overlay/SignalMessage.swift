/// WebRTC signaling relayed over the overlay (body field 50) once a node has overlay links.
///
/// The core treats it as opaque: ``text`` is the standard `RTCSessionDescription.sdp` string for offers
/// and answers and an RFC 8839 candidate line for candidates, so browser and native shells agree.
public struct SignalMessage: Equatable, Sendable {
    /// What ``text`` holds.
    public enum Kind: UInt32, Equatable, Sendable {
        /// A kind this version does not know.
        case unknown = 0
        /// An SDP offer.
        case offer = 1
        /// An SDP answer.
        case answer = 2
        /// One ICE candidate line.
        case candidate = 3
        /// The sender abandons the session (``text`` may say why).
        case bye = 4
    }

    /// Identifies one connection attempt, so late messages of an abandoned attempt are ignored.
    public var session: UInt64
    /// What ``text`` holds.
    public var kind: Kind
    /// The SDP or candidate string.
    public var text: String

    /// Longest text, in UTF-8 bytes.
    public static let maximumTextBytes = 64 * 1024

    /// Creates a signal.
    public init(session: UInt64, kind: Kind, text: String) {
        self.session = session
        self.kind = kind
        self.text = text
    }
}

extension SignalMessage: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(session: 0, kind: .unknown, text: "")
        while let field = try reader.nextField() {
            switch field.number {
            case 1: session = try reader.readUInt64(field)
            case 2: kind = Kind(rawValue: try reader.readUInt32(field)) ?? .unknown
            case 3: text = try reader.readString(field, limit: SignalMessage.maximumTextBytes)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: session)
        writer.write(field: 2, uint64: UInt64(kind.rawValue))
        writer.write(field: 3, string: text)
    }
}
