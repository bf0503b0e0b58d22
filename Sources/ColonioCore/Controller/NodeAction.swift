/// What the ``NodeController`` asks its shell to do: the native node (WebRTC or in-memory links, the
/// seed client, swift-crypto), the browser shell (`colonio.js`: WebSocket, RTCPeerConnection, WebCrypto)
/// or the simulator. Carry them out in order; report outcomes back through the controller's inputs with
/// the same peer and link session.
public enum NodeAction: Equatable, Sendable {
    // MARK: Seed

    /// Send this frame to the seed (a sign-in, signal, keepalive, certificate renewal or peer search).
    case sendToSeed(SeedFrame)
    /// Sign `signedBytes` with the node's key, put the signature into `request.resume`, and send the
    /// sign-in to the seed: a claim to this node's ID on a new seed connection.
    case signAndSendResume(signedBytes: [UInt8], request: SignInRequest)
    /// The seed signed this node in (for the first time, or again under a new ID after it could not
    /// restore the old one): tell the application, start keepalives at the interval it names.
    case signedIn(SignInResponse)
    /// The seed refused the sign-in; the node is not connected.
    case signInFailed(SeedErrorMessage)
    /// The seed took this node back under its ID after the connection was lost.
    case seedRestored
    /// Open a new connection to the seed (the last one was lost); once it is open, call
    /// ``NodeController/seedReopened(token:publicKey:unixSeconds:)``, and ``NodeController/seedClosed(now:)``
    /// if it fails.
    case connectToSeed
    /// Peer connections made from now on use these STUN/TURN servers (renewed TURN credentials).
    case useICEServers([ICEServerConfiguration])

    // MARK: Links

    /// Create a peer connection with one data channel. `remoteOffer` `nil`: make an offer and report it
    /// with ``NodeController/localDescription(_:peer:session:now:)``; otherwise accept the peer's offer
    /// and report the answer the same way.
    case openLink(peer: NodeID, session: UInt64, remoteOffer: String?)
    /// Apply the peer's answer to this side's offer.
    case applyAnswer(peer: NodeID, session: UInt64, sdp: String)
    /// Add one of the peer's ICE candidates.
    case addCandidate(peer: NodeID, session: UInt64, candidate: ICECandidateLine)
    /// Close the peer connection (or give up opening it). Not reported back.
    case closeLink(peer: NodeID, session: UInt64)
    /// Send `frame` as one message on the link, after every frame sent before it.
    case sendFrame(peer: NodeID, session: UInt64, frame: [UInt8])
    /// Sign `signedBytes` with the node's key, put the signature into the last 64 bytes of `frame`, then
    /// send it like ``sendFrame(peer:session:frame:)`` (before any later frame).
    case signAndSendFrame(peer: NodeID, session: UInt64, signedBytes: [UInt8], frame: [UInt8])
    /// Check the two Ed25519 signatures of the peer's hello and report the outcome with
    /// ``NodeController/helloVerified(peer:session:valid:now:)``.
    case verifyHello(peer: NodeID, session: UInt64, CertifiedSignature)

    // MARK: Signals over the overlay

    /// Sign `signedBytes` with the node's key and report the signature with
    /// ``NodeController/signalSigned(id:signature:now:)``: a signal to relay over the overlay, which
    /// carries the proof of its sender.
    case signSignal(id: UInt64, signedBytes: [UInt8])
    /// Check the two Ed25519 signatures of a signal that came over the overlay and report the outcome
    /// with ``NodeController/signalVerified(id:valid:now:)``.
    case verifySignal(id: UInt64, CertifiedSignature)

    // MARK: Application

    /// A one-way message (`replyID` `nil`) or a request for the application's handler; answer a
    /// request with ``NodeController/respond(replyID:payload:now:)``.
    case deliverMessage(IncomingMessage, replyID: UInt64?)
    /// A request of the application finished.
    case requestCompleted(requestID: UInt64, outcome: RequestOutcome)
    /// A pub/sub message for the subscribers of its topic.
    case deliverSpread(SpreadDelivery)
    /// A publication with `requireReceiver` (``NodeController/publish(topic:payload:center:radius:options:now:)``'s
    /// ID) reached a subscriber (`error` `nil`) or failed.
    case publishCompleted(id: UInt64, error: SpreadError?)
    /// A KVS operation finished.
    case kvsCompleted(KVSClientOperationID, Result<KVSValue?, KVSError>)

    // MARK: Diagnostics

    /// A line for the shell's log.
    case log(NodeLogLevel, String)
}

/// How much a ``NodeAction/log(_:_:)`` line matters.
public enum NodeLogLevel: UInt8, Comparable, Sendable {
    case debug, info, notice, warning

    public static func < (lhs: NodeLogLevel, rhs: NodeLogLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One ICE candidate as the standard strings (RFC 8839 candidate line, media ID and index).
public struct ICECandidateLine: Equatable, Sendable {
    public var candidate: String
    public var sdpMid: String?
    public var sdpMLineIndex: UInt32?

    public init(candidate: String, sdpMid: String?, sdpMLineIndex: UInt32?) {
        self.candidate = candidate
        self.sdpMid = sdpMid
        self.sdpMLineIndex = sdpMLineIndex
    }
}
