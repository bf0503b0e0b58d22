/// Everything a node needs to know about the network it joined; the seed sends it at sign-in.
public struct NetworkConfiguration: Equatable, Sendable {
    /// The network's name, as in the seed's configuration and the sign-in request.
    public var name: String
    /// STUN/TURN servers for WebRTC; TURN credentials may be time-limited.
    public var iceServers: [ICEServerConfiguration]
    /// The coordinate space positions live in.
    public var space: CoordinateSpace
    /// Overlay routing parameters.
    public var routing: RoutingSettings
    /// Key-value store parameters.
    public var kvs: KVSSettings
    /// Location-based pub/sub parameters.
    public var spread: SpreadSettings

    /// Creates a configuration; unspecified settings take their defaults.
    public init(
        name: String,
        iceServers: [ICEServerConfiguration] = [],
        space: CoordinateSpace = .plane(width: 1, height: 1),
        routing: RoutingSettings = RoutingSettings(),
        kvs: KVSSettings = KVSSettings(),
        spread: SpreadSettings = SpreadSettings()
    ) {
        self.name = name
        self.iceServers = iceServers
        self.space = space
        self.routing = routing
        self.kvs = kvs
        self.spread = spread
    }
}

extension NetworkConfiguration: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(name: "")
        var sawSpace = false
        while let field = try reader.nextField() {
            switch field.number {
            case 1: name = try reader.readString(field, limit: SeedLimits.networkNameBytes)
            case 2:
                guard iceServers.count < SeedLimits.iceServers else {
                    throw .countLimitExceeded(field: 2, limit: SeedLimits.iceServers)
                }
                iceServers.append(try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes))
            case 3:
                space = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
                sawSpace = true
            case 4: routing = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
            case 5: kvs = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
            case 6: spread = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
            default: try reader.skip(field)
            }
        }
        // Nodes of one network must agree on the space; a silent default would split them.
        guard sawSpace else { throw .missingField(3) }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, string: name)
        for server in iceServers { writer.write(field: 2, message: server) }
        writer.write(field: 3, message: space)
        writer.write(field: 4, message: routing)
        writer.write(field: 5, message: kvs)
        writer.write(field: 6, message: spread)
    }
}
