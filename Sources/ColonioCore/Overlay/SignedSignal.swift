/// A WebRTC signal relayed over the overlay, with proof of who sent it and for whom.
///
/// Nodes on the route can rewrite a packet's source, so a signal through the overlay carries its sender's
/// certificate and a signature by the certificate's key over the network, both node IDs and the signal.
/// The receiver checks both signatures (the seed's over the certificate, the sender's over the signal)
/// before it acts on the signal. Signals through the seed need none of this: the seed relays only what
/// the signed-in sender sent.
public struct SignedSignal: Equatable, Sendable {
    /// The sender's certificate, issued by the network's seed.
    public var certificate: NodeCertificate
    /// The signaling message.
    public var signal: SignalPayload
    /// Ed25519 signature by the certificate's key over ``signedBytes(network:sender:receiver:signal:)``.
    public var signature: [UInt8]

    /// Creates a signed signal.
    public init(certificate: NodeCertificate, signal: SignalPayload, signature: [UInt8]) {
        self.certificate = certificate
        self.signal = signal
        self.signature = signature
    }

    /// The bytes a sender signs: a context string (so no other signature of the key can pass for it),
    /// the network, the sender's and the receiver's IDs, then the signal's encoding. Binding the receiver
    /// keeps a relay from replaying the signal to another node.
    public static func signedBytes(network: String, sender: NodeID, receiver: NodeID, signal: SignalPayload) -> [UInt8] {
        var writer = WireWriter(reservingCapacity: 256)
        writer.write(field: 1, string: "colonio-overlay-signal-v1")
        writer.write(field: 2, string: network)
        writer.write(field: 3, nodeID: sender)
        writer.write(field: 4, nodeID: receiver)
        writer.write(field: 5, message: signal)
        return writer.bytes
    }

    /// The largest encoding accepted: the largest signal, a certificate and a signature.
    public static let maximumBytes = SeedLimits.sdpBytes + 64 + certificateBytes + 2 * SeedLimits.signatureBytes

    static let certificateBytes = 4096
}

extension SignedSignal: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var certificate: NodeCertificate?
        var signal: SignalPayload?
        var signature: [UInt8] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: certificate = try reader.readMessage(field, limit: Self.certificateBytes)
            case 2: signal = try reader.readMessage(field, limit: SeedLimits.sdpBytes + 64)
            case 3: signature = try reader.readBytes(field, limit: SeedLimits.signatureBytes)
            default: try reader.skip(field)
            }
        }
        guard let certificate else { throw .missingField(1) }
        guard let signal else { throw .missingField(2) }
        guard signature.count == SeedLimits.signatureBytes else { throw .invalidValue(field: 3) }
        self.init(certificate: certificate, signal: signal, signature: signature)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: certificate)
        writer.write(field: 2, message: signal)
        writer.write(field: 3, bytes: signature)
    }
}
