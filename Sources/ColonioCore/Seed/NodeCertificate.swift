/// The seed's statement that a public key belongs to a node ID in a network until an expiry time.
///
/// Nodes present it to each other when a link opens; a certificate from another network, signed by
/// another seed key or past its expiry is refused. The seed signs ``signedBytes`` with Ed25519.
public struct NodeCertificate: Equatable, Sendable {
    /// The network the node signed in to.
    public var network: String
    /// The ID the seed assigned.
    public var nodeID: NodeID
    /// The node's Ed25519 public key (32 bytes).
    public var publicKey: [UInt8]
    /// When the certificate stops being valid, in Unix seconds.
    public var expiry: UInt64
    /// The seed's Ed25519 signature over ``signedBytes`` (64 bytes).
    public var signature: [UInt8]

    /// Creates a certificate; `signature` is empty until the seed signs it.
    public init(network: String, nodeID: NodeID, publicKey: [UInt8], expiry: UInt64, signature: [UInt8] = []) {
        self.network = network
        self.nodeID = nodeID
        self.publicKey = publicKey
        self.expiry = expiry
        self.signature = signature
    }

    /// Prefix of ``signedBytes``, so a certificate signature can never be replayed as any other
    /// signature the same key makes.
    public static let signatureDomain: [UInt8] = Array("colonio-node-certificate-v1".utf8) + [0]

    /// The exact bytes the seed signs: ``signatureDomain`` followed by the wire encoding of fields
    /// 1-4 (network, node ID, public key, expiry) in field order. Deterministic, so any
    /// implementation of the `.proto` schema can recompute it.
    public var signedBytes: [UInt8] {
        var writer = WireWriter(reservingCapacity: 128)
        encodeSignedFields(to: &writer)
        return NodeCertificate.signatureDomain + writer.bytes
    }

    /// Whether the certificate is still valid at `unixSeconds` (the signature is checked separately).
    public func isValid(atUnixSeconds unixSeconds: UInt64) -> Bool {
        unixSeconds < expiry
    }

    private func encodeSignedFields(to writer: inout WireWriter) {
        writer.write(field: 1, string: network)
        writer.write(field: 2, nodeID: nodeID)
        writer.write(field: 3, bytes: publicKey)
        writer.write(field: 4, uint64: expiry)
    }
}

extension NodeCertificate: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var network: String?
        var nodeID: NodeID?
        var publicKey: [UInt8]?
        var expiry: UInt64 = 0
        var signature: [UInt8] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: network = try reader.readString(field, limit: SeedLimits.networkNameBytes)
            case 2: nodeID = try reader.readNodeID(field)
            case 3:
                let key = try reader.readBytes(field, limit: SeedLimits.publicKeyBytes)
                guard key.count == SeedLimits.publicKeyBytes else { throw .invalidValue(field: 3) }
                publicKey = key
            case 4: expiry = try reader.readUInt64(field)
            case 5:
                signature = try reader.readBytes(field, limit: SeedLimits.signatureBytes)
                guard signature.count == SeedLimits.signatureBytes else { throw .invalidValue(field: 5) }
            default: try reader.skip(field)
            }
        }
        guard let network else { throw .missingField(1) }
        guard let nodeID else { throw .missingField(2) }
        guard let publicKey else { throw .missingField(3) }
        self.init(network: network, nodeID: nodeID, publicKey: publicKey, expiry: expiry, signature: signature)
    }

    public func encode(to writer: inout WireWriter) {
        encodeSignedFields(to: &writer)
        if !signature.isEmpty { writer.write(field: 5, bytes: signature) }
    }
}
