/// The seed's answer to a successful sign-in.
public struct SignInResponse: Equatable, Sendable {
    /// The ID the seed assigned (random, unique in the network).
    public var nodeID: NodeID
    /// The node's certificate, signed by the seed.
    public var certificate: NodeCertificate
    /// The seed's Ed25519 public key (32 bytes), to verify other nodes' certificates.
    public var seedPublicKey: [UInt8]
    /// The network's configuration.
    public var configuration: NetworkConfiguration
    /// Registered nodes nearest the new ID on the ring; empty when the node is alone.
    public var bootstrapPeers: [NodeID]
    /// How often the client must send a keepalive; the seed unregisters a node silent for longer
    /// than its keepalive timeout.
    public var keepaliveIntervalMilliseconds: UInt32

    /// Creates a response.
    public init(
        nodeID: NodeID, certificate: NodeCertificate, seedPublicKey: [UInt8],
        configuration: NetworkConfiguration, bootstrapPeers: [NodeID], keepaliveIntervalMilliseconds: UInt32
    ) {
        self.nodeID = nodeID
        self.certificate = certificate
        self.seedPublicKey = seedPublicKey
        self.configuration = configuration
        self.bootstrapPeers = bootstrapPeers
        self.keepaliveIntervalMilliseconds = keepaliveIntervalMilliseconds
    }
}

extension SignInResponse: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var nodeID: NodeID?
        var certificate: NodeCertificate?
        var seedPublicKey: [UInt8]?
        var configuration: NetworkConfiguration?
        var peers: [NodeID] = []
        var keepalive: UInt32 = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: nodeID = try reader.readNodeID(field)
            case 2: certificate = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
            case 3:
                let key = try reader.readBytes(field, limit: SeedLimits.publicKeyBytes)
                guard key.count == SeedLimits.publicKeyBytes else { throw .invalidValue(field: 3) }
                seedPublicKey = key
            case 4: configuration = try reader.readMessage(field, limit: SeedLimits.frameBytes)
            case 5:
                guard peers.count < SeedLimits.bootstrapPeers else {
                    throw .countLimitExceeded(field: 5, limit: SeedLimits.bootstrapPeers)
                }
                peers.append(try reader.readNodeID(field))
            case 6: keepalive = try reader.readUInt32(field)
            default: try reader.skip(field)
            }
        }
        guard let nodeID else { throw .missingField(1) }
        guard let certificate else { throw .missingField(2) }
        guard let seedPublicKey else { throw .missingField(3) }
        guard let configuration else { throw .missingField(4) }
        guard keepalive > 0 else { throw .invalidValue(field: 6) }
        self.init(
            nodeID: nodeID, certificate: certificate, seedPublicKey: seedPublicKey, configuration: configuration,
            bootstrapPeers: peers, keepaliveIntervalMilliseconds: keepalive)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: nodeID)
        writer.write(field: 2, message: certificate)
        writer.write(field: 3, bytes: seedPublicKey)
        writer.write(field: 4, message: configuration)
        for peer in bootstrapPeers { writer.write(field: 5, nodeID: peer) }
        writer.write(field: 6, uint64: UInt64(keepaliveIntervalMilliseconds))
    }
}
