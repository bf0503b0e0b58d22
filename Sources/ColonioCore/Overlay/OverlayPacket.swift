/// The envelope of everything that travels over overlay links.
///
/// Relays read only the envelope; the body stays encoded bytes, so forwarding a packet never decodes
/// (or needs to understand) what it carries. A body larger than one link frame is split into fragments
/// that share a packet ID; the destination reassembles them. Schema: `docs/overlay.proto`.
public struct OverlayPacket: Equatable, Sendable {
    /// The node or ID the packet is routed to, interpreted according to ``mode``.
    public var destination: NodeID
    /// How ``destination`` is interpreted.
    public var mode: RoutingMode
    /// The node that created the packet.
    public var source: NodeID
    /// Links travelled so far; packets reaching the network's hop limit are dropped.
    public var hopCount: UInt32
    /// Unique per ``source``: the pair identifies a packet (and its fragments) for de-duplication.
    public var packetID: UInt64
    /// Non-zero for a request or its response; chosen by the requester.
    public var requestID: UInt64
    /// Whether this packet answers the request ``requestID`` of its destination node.
    public var isResponse: Bool
    /// Which fragment of the body this packet carries (0-based).
    public var fragmentIndex: UInt32
    /// How many fragments the body was cut into; 1 when it was not cut.
    public var fragmentCount: UInt32
    /// An encoded ``OverlayBody``, or one slice of it when ``fragmentCount`` is above 1.
    public var body: [UInt8]

    /// The largest body field a decoder accepts; the node machine applies the network's tighter
    /// per-frame limit before decoding.
    public static let maximumBodyBytes = 16 * 1024 * 1024
    /// A generous bound on the envelope's size without the body, used to size link frames.
    public static let maximumHeaderBytes = 96

    /// Creates a packet; fragment fields default to "not fragmented".
    public init(
        destination: NodeID, mode: RoutingMode, source: NodeID, hopCount: UInt32 = 0, packetID: UInt64,
        requestID: UInt64 = 0, isResponse: Bool = false, fragmentIndex: UInt32 = 0, fragmentCount: UInt32 = 1,
        body: [UInt8]
    ) {
        self.destination = destination
        self.mode = mode
        self.source = source
        self.hopCount = hopCount
        self.packetID = packetID
        self.requestID = requestID
        self.isResponse = isResponse
        self.fragmentIndex = fragmentIndex
        self.fragmentCount = fragmentCount
        self.body = body
    }
}

extension OverlayPacket: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var destination: NodeID?
        var source: NodeID?
        var mode = RoutingMode.toNode
        var hopCount: UInt32 = 0
        var packetID: UInt64 = 0
        var requestID: UInt64 = 0
        var isResponse = false
        var fragmentIndex: UInt32 = 0
        var fragmentCount: UInt32 = 1
        var body: [UInt8] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: destination = try reader.readNodeID(field)
            case 2:
                let raw = try reader.readUInt32(field)
                guard raw <= UInt32(UInt8.max), let value = RoutingMode(rawValue: UInt8(raw)) else {
                    throw .invalidValue(field: 2)
                }
                mode = value
            case 3: source = try reader.readNodeID(field)
            case 4: hopCount = try reader.readUInt32(field)
            case 5: packetID = try reader.readUInt64(field)
            case 6: requestID = try reader.readUInt64(field)
            case 7: isResponse = try reader.readBool(field)
            case 8: fragmentIndex = try reader.readUInt32(field)
            case 9: fragmentCount = try reader.readUInt32(field)
            case 10: body = try reader.readBytes(field, limit: OverlayPacket.maximumBodyBytes)
            default: try reader.skip(field)
            }
        }
        guard let destination else { throw .missingField(1) }
        guard let source else { throw .missingField(3) }
        guard fragmentCount >= 1 else { throw .invalidValue(field: 9) }
        guard fragmentIndex < fragmentCount else { throw .invalidValue(field: 8) }
        guard !isResponse || requestID != 0 else { throw .invalidValue(field: 7) }
        self.init(
            destination: destination, mode: mode, source: source, hopCount: hopCount, packetID: packetID,
            requestID: requestID, isResponse: isResponse, fragmentIndex: fragmentIndex,
            fragmentCount: fragmentCount, body: body)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: destination)
        if mode != .toNode { writer.write(field: 2, uint64: UInt64(mode.rawValue)) }
        writer.write(field: 3, nodeID: source)
        if hopCount != 0 { writer.write(field: 4, uint64: UInt64(hopCount)) }
        writer.write(field: 5, uint64: packetID)
        if requestID != 0 { writer.write(field: 6, uint64: requestID) }
        if isResponse { writer.write(field: 7, bool: true) }
        if fragmentIndex != 0 { writer.write(field: 8, uint64: UInt64(fragmentIndex)) }
        if fragmentCount != 1 { writer.write(field: 9, uint64: UInt64(fragmentCount)) }
        writer.write(field: 10, bytes: body)
    }
}
