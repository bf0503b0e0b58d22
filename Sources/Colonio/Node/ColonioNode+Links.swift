import ColonioCore
import ColonioWebRTC
import Crypto
import Foundation
import Logging

/// Link management: WebRTC signaling (through the seed until the node has overlay links, then through
/// the overlay), the certificate handshake, and reporting links to the node machine.
extension ColonioNode {
    func openLink(to peer: NodeID, in session: NodeSession) {
        guard session.links[peer] == nil, peer != session.nodeID else { return }
        // Through the seed while the overlay has no path to the peer: with no links at all, or when this
        // node would be the peer's own next hop (re-linking a lost ring neighbour). The seed also answers
        // at once when the peer is gone, so the ring drops it instead of waiting for the connect timeout.
        var overlayReaches = false
        if let ring = session.machine.ring, ring.linkCount > 0, case .forward = ring.nextHop(toward: peer) {
            overlayReaches = true
        }
        guard let entry = makeEntry(peer: peer, sessionID: UInt64.random(in: 1...UInt64.max), isOfferer: true,
                                    viaSeed: !overlayReaches, in: session)
        else { return }
        let (link, key) = (entry.link, LinkKey(entry, session))
        Task {
            switch await Self.outcome({ try await link.makeOffer() }) {
            case .success(let offer): self.offerMade(offer, key)
            case .failure(let error): self.linkSetupFailed(key, error: error)
            }
        }
    }

    /// Runs a WebRTC operation and captures its outcome, so that tasks can switch over it.
    nonisolated static func outcome<Value: Sendable>(
        _ operation: @Sendable () async throws -> Value
    ) async -> Result<Value, any Error> {
        do {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    }

    /// Finds the link a background task's callback is about, if it is still current.
    private func resolve(_ key: LinkKey) -> (NodeSession, LinkEntry)? {
        guard let session = session(key.generation), let entry = session.links[key.peer],
              entry.sessionID == key.sessionID else { return nil }
        return (session, entry)
    }

    private func makeEntry(
        peer: NodeID, sessionID: UInt64, isOfferer: Bool, viaSeed: Bool, in session: NodeSession
    ) -> LinkEntry? {
        let link: any TransportLink
        do {
            link = try session.transport.makeLink(logger: session.logger)
        } catch {
            session.logger.error("cannot create a link", metadata: ["peer": "\(peer)", "error": "\(error)"])
            interpret(session.machine.linkFailed(peer, now: session.now()), in: session)
            return nil
        }
        let entry = LinkEntry(peer: peer, link: link, sessionID: sessionID, isOfferer: isOfferer, signalsViaSeed: viaSeed)
        session.links[peer] = entry
        let key = LinkKey(entry, session)
        entry.attach(Task {
            for await event in link.events {
                self.handle(event, key)
            }
        })
        return entry
    }

    private func offerMade(_ offer: String, _ key: LinkKey) {
        guard let (session, entry) = resolve(key) else { return }
        entry.localSDP = offer
        sendSignal(SignalPayload(sessionID: entry.sessionID, kind: .offer(sdp: offer)), on: entry, in: session)
        sendHeldCandidates(of: entry, in: session)
    }

    private func answerMade(_ answer: String, _ key: LinkKey) {
        guard let (session, entry) = resolve(key) else { return }
        entry.localSDP = answer
        sendSignal(SignalPayload(sessionID: entry.sessionID, kind: .answer(sdp: answer)), on: entry, in: session)
        sendHeldCandidates(of: entry, in: session)
    }

    private func sendHeldCandidates(of entry: LinkEntry, in session: NodeSession) {
        let held = entry.heldCandidates
        entry.heldCandidates.removeAll()
        for payload in held { sendCandidate(payload, on: entry, in: session) }
    }

    private func sendCandidate(_ payload: SignalPayload, on entry: LinkEntry, in session: NodeSession) {
        if entry.sentCandidates.count < LinkEntry.maximumRepeatedCandidates { entry.sentCandidates.append(payload) }
        sendSignal(payload, on: entry, in: session)
    }

    /// Sends this side's unanswered offer, and its candidates, once more: the peer offering too means it
    /// never got them (lost with a seed connection, say), or got them after sending its own offer, in
    /// which case it ignores the repeat as a signal of a session it already has.
    private func repeatOffer(_ entry: LinkEntry, in session: NodeSession) {
        guard entry.isOfferer, entry.remoteSDP == nil, let offer = entry.localSDP else { return }
        sendSignal(SignalPayload(sessionID: entry.sessionID, kind: .offer(sdp: offer)), on: entry, in: session)
        for payload in entry.sentCandidates { sendSignal(payload, on: entry, in: session) }
    }

    private func linkSetupFailed(_ key: LinkKey, error: any Error) {
        guard let (session, entry) = resolve(key) else { return }
        session.logger.warning("link setup failed", metadata: ["peer": "\(entry.peer)", "error": "\(error)"])
        dropLink(entry, in: session, report: true)
    }

    private func isCurrent(_ entry: LinkEntry, in session: NodeSession) -> Bool {
        self.session === session && session.links[entry.peer] === entry
    }

    /// Closes `entry` and, if `report`, tells the node machine the link failed or closed.
    func dropLink(_ entry: LinkEntry, in session: NodeSession, report: Bool) {
        guard isCurrent(entry, in: session) else { return }
        session.links[entry.peer] = nil
        entry.close()
        guard report else { return }
        let now = session.now()
        if entry.isAuthenticated {
            interpret(session.machine.linkClosed(entry.peer, now: now), in: session)
        } else {
            interpret(session.machine.linkFailed(entry.peer, now: now), in: session)
        }
    }

    /// Sends a signal of `entry`'s link the way the link's signaling started: through the seed if this
    /// node had no overlay links when it offered, or if the peer's offer came through the seed (the peer
    /// may have no overlay path yet); through the overlay otherwise, or once the seed connection is gone.
    private func sendSignal(_ payload: SignalPayload, on entry: LinkEntry, in session: NodeSession) {
        if entry.signalsViaSeed && session.seed.isConnected {
            do {
                try session.seed.send(signal: payload, to: entry.peer)
                return
            } catch {
                session.logger.warning(
                    "cannot signal through the seed", metadata: ["peer": "\(entry.peer)", "error": "\(error)"])
            }
        }
        interpret(session.machine.sendSignal(payload, to: entry.peer, now: session.now()), in: session)
    }

    /// Handles a signal from `peer` that came through the seed (`viaSeed`) or the overlay.
    func receiveSignal(_ payload: SignalPayload, from peer: NodeID, viaSeed: Bool, in session: NodeSession) {
        guard self.session === session, peer != session.nodeID else { return }
        switch payload.kind {
        case .offer(let sdp):
            if let existing = session.links[peer] {
                if existing.sessionID == payload.sessionID { return }
                // Both sides offered at once: the offer of the lower ID wins, on both sides alike.
                if existing.isOfferer && session.nodeID < peer {
                    // Still unanswered: the peer may never have got it.
                    if !existing.isAuthenticated { repeatOffer(existing, in: session) }
                    // Already authenticated: the peer's offer lost the glare and merely arrived late (the
                    // peer dropped it when it answered ours). Replacing the link for it would leave both
                    // sides without one until the connect timeout.
                    return
                }
                dropLink(existing, in: session, report: existing.isAuthenticated)
            }
            guard let entry = makeEntry(peer: peer, sessionID: payload.sessionID, isOfferer: false, viaSeed: viaSeed, in: session) else { return }
            entry.remoteSDP = sdp
            let (link, key) = (entry.link, LinkKey(entry, session))
            Task {
                switch await Self.outcome({ try await link.accept(offer: sdp) }) {
                case .success(let answer): self.answerMade(answer, key)
                case .failure(let error): self.linkSetupFailed(key, error: error)
                }
            }
        case .answer(let sdp):
            guard let entry = session.links[peer], entry.sessionID == payload.sessionID, entry.isOfferer,
                  entry.remoteSDP == nil else { return }
            entry.remoteSDP = sdp
            let (link, key) = (entry.link, LinkKey(entry, session))
            Task {
                if case .failure(let error) = await Self.outcome({ try await link.setAnswer(sdp) }) {
                    self.linkSetupFailed(key, error: error)
                }
            }
        case .candidate(let candidate, let sdpMid, let sdpMLineIndex):
            guard let entry = session.links[peer], entry.sessionID == payload.sessionID else { return }
            let ice = ICECandidate(candidate: candidate, sdpMid: sdpMid, sdpMLineIndex: Int32(clamping: sdpMLineIndex ?? 0))
            // The peer as text: a captured `NodeID` would hit the miscompile described at `LinkKey`.
            let (link, logger, peerText) = (entry.link, session.logger, "\(peer)")
            Task {
                if case .failure(let error) = await Self.outcome({ try await link.add(candidate: ice) }) {
                    logger.debug("ignored a bad ICE candidate", metadata: ["peer": "\(peerText)", "error": "\(error)"])
                }
            }
        }
    }

    private func handle(_ event: PeerLinkEvent, _ key: LinkKey) {
        guard let (session, entry) = resolve(key) else { return }
        switch event {
        case .localCandidate(let candidate):
            let kind = SignalPayload.Kind.candidate(
                candidate: candidate.candidate, sdpMid: candidate.sdpMid,
                sdpMLineIndex: UInt32(clamping: max(0, candidate.sdpMLineIndex)))
            let payload = SignalPayload(sessionID: entry.sessionID, kind: kind)
            // Candidates can be gathered before the offer's completion reaches this actor; a candidate that
            // overtook the offer would be dropped by the peer (it has no link yet), leaving ICE to learn
            // this side as peer-reflexive only. Send them after the description instead.
            if entry.localSDP == nil { entry.heldCandidates.append(payload) } else { sendCandidate(payload, on: entry, in: session) }
        case .opened:
            sendHello(on: entry, in: session)
        case .message(let bytes):
            receiveFrame(bytes, on: entry, in: session)
        case .closed:
            dropLink(entry, in: session, report: true)
        case .stateChanged(let state):
            entry.connectionState = state
        }
    }

    private func sendHello(on entry: LinkEntry, in session: NodeSession) {
        guard !entry.helloSent else { return }
        guard let local = entry.localSDP.flatMap(SDPFingerprint.extract), let remote = entry.remoteSDP.flatMap(SDPFingerprint.extract)
        else {
            session.logger.warning("link opened without DTLS fingerprints; closing", metadata: ["peer": "\(entry.peer)"])
            dropLink(entry, in: session, report: true)
            return
        }
        let signed = LinkHello.signedBytes(network: session.network, senderFingerprint: local, receiverFingerprint: remote)
        guard let signature = try? session.keypair.signature(for: signed) else { return }
        let hello = LinkHello(certificate: session.seed.certificate, signature: Array(signature))
        entry.helloSent = true
        entry.enqueue(.hello, hello.encoded())
    }

    private func receiveFrame(_ bytes: [UInt8], on entry: LinkEntry, in session: NodeSession) {
        guard let type = bytes.first.flatMap(LinkFrameType.init(rawValue:)) else {
            session.logger.debug("dropped a frame of unknown type", metadata: ["peer": "\(entry.peer)"])
            return
        }
        switch type {
        case .overlay:
            guard entry.isAuthenticated else { return }
            interpret(session.machine.received(Array(bytes.dropFirst()), from: entry.peer, now: session.now()), in: session)
        case .hello:
            guard !entry.isAuthenticated else { return }
            do throws(LinkAuthenticationError) {
                try verifyHello(Array(bytes.dropFirst()), on: entry, in: session)
            } catch {
                session.logger.warning("rejected a link", metadata: ["peer": "\(entry.peer)", "reason": "\(error)"])
                dropLink(entry, in: session, report: true)
                return
            }
            sendHello(on: entry, in: session)
            entry.isAuthenticated = true
            interpret(session.machine.linkOpened(entry.peer, now: session.now()), in: session)
        }
    }

    private func verifyHello(_ bytes: [UInt8], on entry: LinkEntry, in session: NodeSession) throws(LinkAuthenticationError) {
        let hello: LinkHello
        do {
            hello = try LinkHello(decoding: bytes)
        } catch {
            throw .malformed("\(error)")
        }
        do {
            try hello.certificate.verify(seedPublicKey: session.seed.session.seedPublicKey, network: session.network)
        } catch {
            throw .badCertificate(error.description)
        }
        guard hello.certificate.nodeID == entry.peer else {
            throw .wrongNode(expected: entry.peer, found: hello.certificate.nodeID)
        }
        guard let local = entry.localSDP.flatMap(SDPFingerprint.extract),
              let remote = entry.remoteSDP.flatMap(SDPFingerprint.extract),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: hello.certificate.publicKey)
        else { throw .badSignature }
        let signed = LinkHello.signedBytes(network: session.network, senderFingerprint: remote, receiverFingerprint: local)
        guard key.isValidSignature(hello.signature, for: signed) else { throw .badSignature }
    }
}

/// Names one link across tasks: the node session, the peer and the signaling session.
///
/// A class, not a struct, on purpose: an async closure that captures a 16-byte-aligned value
/// (`NodeID` is a `UInt128`) next to a few other captures miscompiles with Swift 6.3 on x86-64 (the
/// partial-apply forwarder stores the value into a tail-call stack-argument area the caller never
/// reserved, overwriting the executor's stack frame; swiftlang/swift#90813 is the same bug on Windows).
/// Task closures therefore capture `NodeID`s only inside a reference like this one.
final class LinkKey: Sendable {
    let generation: UInt64
    let peer: NodeID
    let sessionID: UInt64

    init(_ entry: LinkEntry, _ session: NodeSession) {
        generation = session.generation
        peer = entry.peer
        sessionID = entry.sessionID
    }
}

/// Why a peer's link hello was rejected (logged; the link is closed).
enum LinkAuthenticationError: Error, CustomStringConvertible {
    case malformed(String)
    case badCertificate(String)
    case wrongNode(expected: NodeID, found: NodeID)
    case badSignature

    var description: String {
        switch self {
        case .malformed(let why): "malformed hello: \(why)"
        case .badCertificate(let why): "certificate rejected: \(why)"
        case .wrongNode(let expected, let found): "certificate is for \(found), expected \(expected)"
        case .badSignature: "the hello's signature does not match this connection"
        }
    }
}
