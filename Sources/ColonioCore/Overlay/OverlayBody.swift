/// What a packet carries: a oneof whose field numbers are grouped by sub-protocol.
///
/// Ring maintenance uses 1-19, application messaging 20-29, geo routing/spread 30-39, the KVS 40-49 and
/// WebRTC signaling 50-59. Spread and KVS bodies are opaque bytes here; their sub-machines decode them.
public enum OverlayBody: Equatable, Sendable {
    /// Link role and neighbour lists for a directly linked peer (1).
    case linkState(LinkState)
    /// Asks the owner of the packet's destination ID to identify itself (2); answered by ``ownerReply(_:)``.
    case ownerQuery
    /// Answers an owner query (3).
    case ownerReply(OwnerReply)
    /// Keeps an idle link alive (4).
    case keepalive
    /// Asks a linked peer when it last heard from a suspected node (5); answered by ``livenessReport(_:)``.
    case livenessQuery(LivenessQuery)
    /// Answers a liveness query (6).
    case livenessReport(LivenessReport)
    /// An application message or request (20).
    case message(ApplicationMessage)
    /// An application response (21).
    case reply([UInt8])
    /// A request could not be delivered or answered (22).
    case failure(DeliveryFailure)
    /// A geo-routing/spread message, opaque to the ring (30).
    case spread([UInt8])
    /// A KVS message, opaque to the ring (40).
    case kvs([UInt8])
    /// WebRTC signaling relayed over the overlay, signed by its sender (51; 50 carried unsigned signals
    /// and is no longer read).
    case signal(SignedSignal)
}

extension OverlayBody: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var body: OverlayBody?
        let limit = OverlayPacket.maximumBodyBytes
        // As in protobuf, the last oneof member present wins; unknown members are skipped.
        while let field = try reader.nextField() {
            switch field.number {
            case 1: body = .linkState(try reader.readMessage(field, limit: 4096))
            case 2:
                _ = try reader.readBytes(field, limit: 1024)
                body = .ownerQuery
            case 3: body = .ownerReply(try reader.readMessage(field, limit: 4096))
            case 4:
                _ = try reader.readBytes(field, limit: 1024)
                body = .keepalive
            case 5: body = .livenessQuery(try reader.readMessage(field, limit: 64))
            case 6: body = .livenessReport(try reader.readMessage(field, limit: 64))
            case 20: body = .message(try reader.readMessage(field, limit: limit))
            case 21: body = .reply(try reader.readBytes(field, limit: limit))
            case 22: body = .failure(try reader.readMessage(field, limit: 4096))
            case 30: body = .spread(try reader.readBytes(field, limit: limit))
            case 40: body = .kvs(try reader.readBytes(field, limit: limit))
            case 51: body = .signal(try reader.readMessage(field, limit: SignedSignal.maximumBytes))
            default: try reader.skip(field)
            }
        }
        guard let body else { throw .missingField(0) }
        self = body
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .linkState(let state): writer.write(field: 1, message: state)
        case .ownerQuery: writer.write(field: 2, bytes: [UInt8]())
        case .ownerReply(let reply): writer.write(field: 3, message: reply)
        case .keepalive: writer.write(field: 4, bytes: [UInt8]())
        case .livenessQuery(let query): writer.write(field: 5, message: query)
        case .livenessReport(let report): writer.write(field: 6, message: report)
        case .message(let message): writer.write(field: 20, message: message)
        case .reply(let payload): writer.write(field: 21, bytes: payload)
        case .failure(let failure): writer.write(field: 22, message: failure)
        case .spread(let bytes): writer.write(field: 30, bytes: bytes)
        case .kvs(let bytes): writer.write(field: 40, bytes: bytes)
        case .signal(let signal): writer.write(field: 51, message: signal)
        }
    }
}
