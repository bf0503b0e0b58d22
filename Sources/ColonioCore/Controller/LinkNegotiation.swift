/// One link to a peer from the first signal until it closes: the WebRTC offer/answer exchange, then the
/// certificate hello each side sends on the new data channel. Pure; the ``NodeController`` keeps one per
/// peer and turns its steps into ``NodeAction``s.
///
/// ```
///  offerer:  offering --local offer--> awaitingAnswer --answer--> connecting
///  answerer: answering --local answer--> connecting
///  connecting --channel open: send hello--> awaitingHello --peer hello--> verifying --valid--> authenticated
/// ```
/// The peer's hello can arrive before this side saw the channel open (`connecting -> verifying`); this
/// side's hello then goes out once the peer's verified.
public struct LinkNegotiation: Sendable {
    /// Where the link is.
    public enum Phase: Equatable, Sendable {
        /// This side asked the shell for an offer and waits for it.
        case offering
        /// This side's offer went out; the peer's answer has not arrived.
        case awaitingAnswer
        /// The peer's offer arrived; this side waits for the shell's answer.
        case answering
        /// Both descriptions are known; ICE, DTLS and SCTP are under way.
        case connecting
        /// The data channel is open and this side's hello went out; the peer's has not arrived.
        case awaitingHello
        /// The peer's hello passed the checks the controller makes itself; its signatures are with the shell.
        case verifying
        /// The peer proved its identity: only now does the node machine know the link.
        case authenticated
    }

    /// The local ICE candidates kept to repeat with an unanswered offer.
    public static let maximumRepeatedCandidates = 32

    public let peer: NodeID
    /// The signaling session: signals and events of other sessions are ignored.
    public let session: UInt64
    /// Whether this side made the offer.
    public let isOfferer: Bool
    /// Whether this link's signals go through the seed (else through the overlay), decided when it started.
    public let signalsViaSeed: Bool
    /// When it started (this side's offer, or the peer's offer arriving).
    public let startedAt: MonotonicTime
    public private(set) var phase: Phase
    public private(set) var localFingerprint: String?
    public private(set) var remoteFingerprint: String?
    /// This side's offer, to repeat it if the peer offers too (it evidently never got it).
    public private(set) var localOffer: String?
    /// This side's answer, to repeat it when the offer comes again (the answer was lost on the way).
    public private(set) var localAnswer: String?
    /// When this side's description (or its last repeat) went out.
    public internal(set) var lastSignaledAt: MonotonicTime?
    /// Local candidates found before the local description went out: sent right after it, as a
    /// candidate that overtakes the description is dropped by the peer.
    public private(set) var heldCandidates: [SignalPayload] = []
    /// Local candidates already signaled, to repeat with the offer.
    public private(set) var sentCandidates: [SignalPayload] = []
    /// Whether this side's hello went out.
    public private(set) var helloSent = false
    /// When the peer's hello verified.
    public private(set) var authenticatedAt: MonotonicTime?
    /// When the certificate of the peer's hello expires (Unix seconds): the link is closed then, as
    /// nothing renews a certificate over a link (a fresh link brings a fresh hello).
    public private(set) var peerCertificateExpiry: UInt64?
    /// Offers from the peer answered one after the other, each replacing the last before it
    /// authenticated (this one included); capped by ``NodeControllerSettings/maximumOffersPerPeer``.
    public internal(set) var offersInARow = 1

    /// A link this side offers.
    public init(offeringTo peer: NodeID, session: UInt64, viaSeed: Bool, now: MonotonicTime) {
        self.peer = peer
        self.session = session
        isOfferer = true
        signalsViaSeed = viaSeed
        startedAt = now
        phase = .offering
    }

    /// A link the peer offered, with the fingerprint of its offer (``SDPFingerprint/only(in:)``: the
    /// controller refuses an offer without exactly one before anything else happens).
    public init(answering peer: NodeID, session: UInt64, remoteFingerprint: String, viaSeed: Bool, now: MonotonicTime) {
        self.peer = peer
        self.session = session
        isOfferer = false
        signalsViaSeed = viaSeed
        startedAt = now
        phase = .answering
        self.remoteFingerprint = remoteFingerprint
    }

    public var isAuthenticated: Bool { phase == .authenticated }

    /// Whether the link was authenticated by a certificate that has expired by `unixSeconds`.
    public func peerCertificateExpired(atUnixSeconds unixSeconds: UInt64) -> Bool {
        guard isAuthenticated, let peerCertificateExpiry else { return false }
        return unixSeconds >= peerCertificateExpiry
    }

    /// Milliseconds from the start until the peer's hello verified; `nil` until then.
    public var setupMilliseconds: UInt64? { authenticatedAt.map { $0.milliseconds(since: startedAt) } }

    /// The shell made this side's description: the signals to send now (the description, then any held
    /// candidates). Throws if it has not exactly one fingerprint: the hello could not sign the one in use.
    public mutating func localDescriptionMade(_ sdp: String) throws(LinkRejection) -> [SignalPayload] {
        guard phase == .offering || phase == .answering else { return [] }
        do {
            localFingerprint = try SDPFingerprint.only(in: sdp)
        } catch {
            throw .localDescription(error)
        }
        let description: SignalPayload
        if isOfferer {
            localOffer = sdp
            phase = .awaitingAnswer
            description = SignalPayload(sessionID: session, kind: .offer(sdp: sdp))
        } else {
            localAnswer = sdp
            phase = .connecting
            description = SignalPayload(sessionID: session, kind: .answer(sdp: sdp))
        }
        let held = heldCandidates
        heldCandidates.removeAll()
        for candidate in held { remember(candidate) }
        return [description] + held
    }

    /// The shell found a local candidate: the signal to send now, or `nil` while it is held back.
    public mutating func localCandidateFound(_ candidate: ICECandidateLine) -> SignalPayload? {
        let payload = SignalPayload(
            sessionID: session,
            kind: .candidate(candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex))
        if phase == .offering || phase == .answering {
            heldCandidates.append(payload)
            return nil
        }
        remember(payload)
        return payload
    }

    private mutating func remember(_ payload: SignalPayload) {
        if sentCandidates.count < Self.maximumRepeatedCandidates { sentCandidates.append(payload) }
    }

    /// The peer's answer: whether to apply it (it answers this side's pending offer). Throws if it has
    /// not exactly one fingerprint (a relay may have added its own): the link cannot be authenticated.
    public mutating func answerArrived(_ sdp: String) throws(LinkRejection) -> Bool {
        guard isOfferer, phase == .awaitingAnswer else { return false }
        do {
            remoteFingerprint = try SDPFingerprint.only(in: sdp)
        } catch {
            throw .remoteDescription(error)
        }
        phase = .connecting
        return true
    }

    /// The signals that repeat this side's offer: the peer offered too while it was unanswered, so it
    /// never got it (lost with a seed connection, say), or got it after sending its own, in which case
    /// it ignores the repeat as a signal of a session it already has.
    public var offerRepeat: [SignalPayload] {
        guard isOfferer, phase == .awaitingAnswer, let localOffer else { return [] }
        return [SignalPayload(sessionID: session, kind: .offer(sdp: localOffer))] + sentCandidates
    }

    /// The signals that repeat this side's answer: the offer arrived again, so the peer is still waiting
    /// for an answer that was lost (signals through the overlay are not acknowledged, and a node that
    /// crashed on the path swallows them until its neighbours notice).
    public var answerRepeat: [SignalPayload] {
        guard !isOfferer, phase == .connecting || phase == .awaitingHello, let localAnswer else { return [] }
        return [SignalPayload(sessionID: session, kind: .answer(sdp: localAnswer))] + sentCandidates
    }

    /// The bytes this side's hello signs, if the hello is due now (the channel is open, or the peer's
    /// hello verified first); `nil` if it went out already. Throws when a fingerprint is missing: such
    /// a link cannot be authenticated.
    public mutating func helloToSign(network: String) throws(LinkRejection) -> [UInt8]? {
        guard !helloSent else { return nil }
        guard let localFingerprint, let remoteFingerprint else { throw .noFingerprints }
        helloSent = true
        if phase == .connecting { phase = .awaitingHello }
        return LinkHello.signedBytes(network: network, senderFingerprint: localFingerprint, receiverFingerprint: remoteFingerprint)
    }

    /// The peer's hello arrived: checks what needs no signature check (network, node, expiry) and
    /// returns what the shell must verify. `nil`: not expected now (already verifying or authenticated).
    public mutating func helloArrived(
        _ bytes: [UInt8], network: String, seedPublicKey: [UInt8], unixSeconds: UInt64
    ) throws(LinkRejection) -> CertifiedSignature? {
        guard phase == .connecting || phase == .awaitingHello else { return nil }
        let hello: LinkHello
        do {
            hello = try LinkHello(decoding: bytes)
        } catch {
            throw .malformed("\(error)")
        }
        var check = try CertifiedSignature.checking(
            hello.certificate, of: peer, signature: hello.signature, over: [], network: network,
            seedPublicKey: seedPublicKey, unixSeconds: unixSeconds)
        guard let localFingerprint, let remoteFingerprint else { throw .noFingerprints }
        // The peer signed its own fingerprint first: this side's is the receiver's.
        check.signedBytes = LinkHello.signedBytes(
            network: network, senderFingerprint: remoteFingerprint, receiverFingerprint: localFingerprint)
        phase = .verifying
        peerCertificateExpiry = hello.certificate.expiry
        return check
    }

    /// The shell verified the hello's signatures: whether the link is now authenticated.
    public mutating func helloVerified(_ valid: Bool, now: MonotonicTime) throws(LinkRejection) -> Bool {
        guard phase == .verifying else { return false }
        guard valid else { throw .badSignature }
        phase = .authenticated
        authenticatedAt = now
        return true
    }
}

/// Why a link was refused (the link is closed and reported failed).
public enum LinkRejection: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case wrongNetwork(expected: String, found: String)
    case wrongNode(expected: NodeID, found: NodeID)
    case expired(expiry: UInt64)
    case noFingerprints
    /// The peer's offer or answer has no single well-formed fingerprint.
    case remoteDescription(SDPFingerprintError)
    /// This side's own description has no single well-formed fingerprint (the engine made it).
    case localDescription(SDPFingerprintError)
    case badSignature
    /// The certificate's public key is malformed or of small order; no signature by it means anything.
    case weakPublicKey(Ed25519Encoding.KeyDefect)

    public var description: String {
        switch self {
        case .malformed(let why): "malformed hello: \(why)"
        case .wrongNetwork(let expected, let found): "the certificate is for network \"\(found)\", not \"\(expected)\""
        case .wrongNode(let expected, let found): "the certificate is for \(found), expected \(expected)"
        case .expired(let expiry): "the certificate expired at \(expiry) (Unix seconds)"
        case .noFingerprints: "no DTLS fingerprints in the descriptions"
        case .remoteDescription(let error): "the peer's description has \(error)"
        case .localDescription(let error): "this side's description has \(error)"
        case .badSignature: "the certificate's signature or the signature by its key does not verify"
        case .weakPublicKey(let defect): "the certificate's key is refused: \(defect)"
        }
    }
}
