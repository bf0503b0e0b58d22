/// One binary WebSocket frame between a node and the seed.
///
/// Clients send ``signIn(_:)`` first, then ``signal(to:payload:)``, ``keepalive(nonce:)``,
/// ``renewCertificate`` and ``findPeers``; the seed answers with the other cases. Each case is one field of a protobuf
/// `oneof` (see `docs/colonio.proto`), so unknown future frames fail to decode instead of being
/// misread.
public enum SeedFrame: Equatable, Sendable {
    // Client to seed.
    /// Join a network.
    case signIn(SignInRequest)
    /// Ask for a fresh certificate for the signed-in identity.
    case renewCertificate
    /// Relay `payload` to the node `to` of the same network.
    case signal(to: NodeID, payload: SignalPayload)
    /// Keep the registration alive; the seed echoes `nonce` in ``keepaliveAck(nonce:)``.
    case keepalive(nonce: UInt64)
    /// Ask for the registered nodes nearest this one on the ring, to rejoin after losing every link.
    case findPeers

    // Seed to client.
    /// The seed's first frame on every connection: random bytes a resume claim on this connection must
    /// sign (``SignInResume/challenge``), so that a claim cannot be replayed on another connection.
    case challenge(nonce: [UInt8])
    /// Sign-in succeeded.
    case signedIn(SignInResponse)
    /// A fresh certificate, answering ``renewCertificate``, with the network's ICE servers and fresh
    /// time-limited TURN credentials for the links the node makes from now on.
    case certificateRenewed(NodeCertificate, iceServers: [ICEServerConfiguration])
    /// A signal another node of the network sent to this one.
    case relayedSignal(from: NodeID, payload: SignalPayload)
    /// A request failed.
    case error(SeedErrorMessage)
    /// Answer to ``keepalive(nonce:)``.
    case keepaliveAck(nonce: UInt64)
    /// Answer to ``findPeers``: nearest first, without the asking node; empty when it is alone.
    case peersFound([NodeID])

    /// Whether only a client may send this frame.
    public var isClientFrame: Bool {
        switch self {
        case .signIn, .renewCertificate, .signal, .keepalive, .findPeers: true
        case .challenge, .signedIn, .certificateRenewed, .relayedSignal, .error, .keepaliveAck, .peersFound: false
        }
    }

    /// Field numbers of the `oneof` in `docs/colonio.proto`.
    enum FieldNumber {
        static let signIn: UInt32 = 1
        static let renewCertificate: UInt32 = 2
        static let signal: UInt32 = 3
        static let keepalive: UInt32 = 4
        static let findPeers: UInt32 = 5
        static let signedIn: UInt32 = 16
        static let certificateRenewed: UInt32 = 17
        static let relayedSignal: UInt32 = 18
        static let error: UInt32 = 19
        static let keepaliveAck: UInt32 = 20
        static let peersFound: UInt32 = 21
        static let challenge: UInt32 = 22
    }
}

extension SeedFrame: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var frame: SeedFrame?
        let limit = SeedLimits.frameBytes
        while let field = try reader.nextField() {
            switch field.number {
            case FieldNumber.signIn:
                frame = .signIn(try reader.readMessage(field, limit: limit))
            case FieldNumber.renewCertificate:
                let _: EmptyMessage = try reader.readMessage(field, limit: limit)
                frame = .renewCertificate
            case FieldNumber.signal:
                let routed: RoutedSignal = try reader.readMessage(field, limit: limit)
                frame = .signal(to: routed.peer, payload: routed.payload)
            case FieldNumber.keepalive:
                let keepalive: KeepaliveMessage = try reader.readMessage(field, limit: limit)
                frame = .keepalive(nonce: keepalive.nonce)
            case FieldNumber.findPeers:
                let _: EmptyMessage = try reader.readMessage(field, limit: limit)
                frame = .findPeers
            case FieldNumber.signedIn:
                frame = .signedIn(try reader.readMessage(field, limit: limit))
            case FieldNumber.certificateRenewed:
                let renewed: CertificateRenewedMessage = try reader.readMessage(field, limit: limit)
                frame = .certificateRenewed(renewed.certificate, iceServers: renewed.iceServers)
            case FieldNumber.relayedSignal:
                let routed: RoutedSignal = try reader.readMessage(field, limit: limit)
                frame = .relayedSignal(from: routed.peer, payload: routed.payload)
            case FieldNumber.error:
                frame = .error(try reader.readMessage(field, limit: limit))
            case FieldNumber.keepaliveAck:
                let keepalive: KeepaliveMessage = try reader.readMessage(field, limit: limit)
                frame = .keepaliveAck(nonce: keepalive.nonce)
            case FieldNumber.peersFound:
                let found: PeersFoundMessage = try reader.readMessage(field, limit: limit)
                frame = .peersFound(found.peers)
            case FieldNumber.challenge:
                let challenge: ChallengeMessage = try reader.readMessage(field, limit: limit)
                frame = .challenge(nonce: challenge.nonce)
            default:
                try reader.skip(field)
            }
        }
        guard let frame else { throw .missingField(FieldNumber.signIn) }
        self = frame
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .signIn(let request):
            writer.write(field: FieldNumber.signIn, message: request)
        case .renewCertificate:
            writer.write(field: FieldNumber.renewCertificate, message: EmptyMessage())
        case .signal(let to, let payload):
            writer.write(field: FieldNumber.signal, message: RoutedSignal(peer: to, payload: payload))
        case .keepalive(let nonce):
            writer.write(field: FieldNumber.keepalive, message: KeepaliveMessage(nonce: nonce))
        case .findPeers:
            writer.write(field: FieldNumber.findPeers, message: EmptyMessage())
        case .signedIn(let response):
            writer.write(field: FieldNumber.signedIn, message: response)
        case .certificateRenewed(let certificate, let iceServers):
            writer.write(
                field: FieldNumber.certificateRenewed,
                message: CertificateRenewedMessage(certificate: certificate, iceServers: iceServers))
        case .relayedSignal(let from, let payload):
            writer.write(field: FieldNumber.relayedSignal, message: RoutedSignal(peer: from, payload: payload))
        case .error(let error):
            writer.write(field: FieldNumber.error, message: error)
        case .keepaliveAck(let nonce):
            writer.write(field: FieldNumber.keepaliveAck, message: KeepaliveMessage(nonce: nonce))
        case .peersFound(let peers):
            writer.write(field: FieldNumber.peersFound, message: PeersFoundMessage(peers: peers))
        case .challenge(let nonce):
            writer.write(field: FieldNumber.challenge, message: ChallengeMessage(nonce: nonce))
        }
    }
}

/// `SignalToPeer`/`SignalFromPeer` in the schema: the peer is the destination or the source
/// depending on the direction.
struct RoutedSignal: WireMessage {
    var peer: NodeID
    var payload: SignalPayload

    init(peer: NodeID, payload: SignalPayload) {
        self.peer = peer
        self.payload = payload
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        var peer: NodeID?
        var payload: SignalPayload?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: peer = try reader.readNodeID(field)
            case 2: payload = try reader.readMessage(field, limit: SeedLimits.frameBytes)
            default: try reader.skip(field)
            }
        }
        guard let peer else { throw .missingField(1) }
        guard let payload else { throw .missingField(2) }
        self.init(peer: peer, payload: payload)
    }

    func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: peer)
        writer.write(field: 2, message: payload)
    }
}

/// `Keepalive` in the schema, used both ways.
/// `Challenge` in the schema: the nonce a resume claim on this connection signs.
struct ChallengeMessage: WireMessage {
    var nonce: [UInt8]

    init(nonce: [UInt8]) {
        self.nonce = nonce
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(nonce: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1: nonce = try reader.readBytes(field, limit: SeedLimits.challengeBytes)
            default: try reader.skip(field)
            }
        }
    }

    func encode(to writer: inout WireWriter) {
        writer.write(field: 1, bytes: nonce)
    }
}

struct KeepaliveMessage: WireMessage {
    var nonce: UInt64

    init(nonce: UInt64) {
        self.nonce = nonce
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(nonce: 0)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: nonce = try reader.readUInt64(field)
            default: try reader.skip(field)
            }
        }
    }

    func encode(to writer: inout WireWriter) {
        if nonce != 0 { writer.write(field: 1, uint64: nonce) }
    }
}

/// `CertificateRenewed` in the schema.
struct CertificateRenewedMessage: WireMessage {
    var certificate: NodeCertificate
    var iceServers: [ICEServerConfiguration]

    init(certificate: NodeCertificate, iceServers: [ICEServerConfiguration]) {
        self.certificate = certificate
        self.iceServers = iceServers
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        var certificate: NodeCertificate?
        var iceServers: [ICEServerConfiguration] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: certificate = try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes)
            case 2:
                guard iceServers.count < SeedLimits.iceServers else {
                    throw .countLimitExceeded(field: 2, limit: SeedLimits.iceServers)
                }
                iceServers.append(try reader.readMessage(field, limit: SeedLimits.nestedMessageBytes))
            default: try reader.skip(field)
            }
        }
        guard let certificate else { throw .missingField(1) }
        self.init(certificate: certificate, iceServers: iceServers)
    }

    func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: certificate)
        for server in iceServers { writer.write(field: 2, message: server) }
    }
}

/// `PeersFound` in the schema.
struct PeersFoundMessage: WireMessage {
    var peers: [NodeID]

    init(peers: [NodeID]) {
        self.peers = peers
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        var peers: [NodeID] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                guard peers.count < SeedLimits.bootstrapPeers else {
                    throw .countLimitExceeded(field: 1, limit: SeedLimits.bootstrapPeers)
                }
                peers.append(try reader.readNodeID(field))
            default: try reader.skip(field)
            }
        }
        self.init(peers: peers)
    }

    func encode(to writer: inout WireWriter) {
        for peer in peers { writer.write(field: 1, nodeID: peer) }
    }
}

/// A message with no fields (`RenewCertificate` in the schema); unknown fields are skipped.
struct EmptyMessage: WireMessage {
    init() {}

    init(from reader: inout WireReader) throws(WireDecodingError) {
        while let field = try reader.nextField() { try reader.skip(field) }
    }

    func encode(to writer: inout WireWriter) {}
}
