/// The link lifecycle: signaling through the seed until the overlay reaches the peer, glare, the
/// certificate hello, and reporting links to the node machine.
extension NodeController {
    /// The shell made this side's description (offer or answer) for the link.
    public mutating func localDescription(_ sdp: String, peer: NodeID, session linkSession: UInt64, now: MonotonicTime) -> [NodeAction] {
        guard var link = currentLink(peer, linkSession) else { return take() }
        let signals: [SignalPayload]
        do throws(LinkRejection) {
            signals = try link.localDescriptionMade(sdp)
        } catch {
            reject(peer, error, now: now)
            return take()
        }
        session!.links[peer] = link
        for signal in signals { sendSignal(signal, on: link, now: now) }
        return take()
    }

    /// The shell's peer connection found a local ICE candidate.
    public mutating func localCandidate(
        _ candidate: ICECandidateLine, peer: NodeID, session linkSession: UInt64, now: MonotonicTime
    ) -> [NodeAction] {
        guard var link = currentLink(peer, linkSession) else { return take() }
        let signal = link.localCandidateFound(candidate)
        session!.links[peer] = link
        if let signal { sendSignal(signal, on: link, now: now) }
        return take()
    }

    /// The link's data channel opened: this side's hello goes out.
    public mutating func linkOpened(peer: NodeID, session linkSession: UInt64, now: MonotonicTime) -> [NodeAction] {
        guard currentLink(peer, linkSession) != nil else { return take() }
        sendHello(peer, now: now)
        return take()
    }

    /// A whole frame arrived on the link.
    public mutating func linkFrame(
        _ bytes: [UInt8], peer: NodeID, session linkSession: UInt64, now: MonotonicTime, unixSeconds: UInt64
    ) -> [NodeAction] {
        latestUnixSeconds = unixSeconds
        guard var link = currentLink(peer, linkSession), let type = bytes.first else { return take() }
        switch LinkFrameType(rawValue: type) {
        case .overlay:
            guard link.isAuthenticated else { return take() }
            interpret(session!.machine.received(Array(bytes.dropFirst()), from: peer, now: now), now: now)
        case .hello:
            let network = session!.network
            do throws(LinkRejection) {
                guard let check = try link.helloArrived(
                    Array(bytes.dropFirst()), network: network, seedPublicKey: session!.seedPublicKey,
                    unixSeconds: unixSeconds)
                else { return take() }
                session!.links[peer] = link
                emit(.verifyHello(peer: peer, session: linkSession, check))
            } catch {
                reject(peer, error, now: now)
            }
        case nil:
            log(.debug, "dropped a frame of unknown type from \(peer)")
        }
        return take()
    }

    /// The shell checked the signatures of the peer's hello.
    public mutating func helloVerified(peer: NodeID, session linkSession: UInt64, valid: Bool, now: MonotonicTime) -> [NodeAction] {
        guard var link = currentLink(peer, linkSession) else { return take() }
        do throws(LinkRejection) {
            guard try link.helloVerified(valid, now: now) else { return take() }
        } catch {
            reject(peer, error, now: now)
            return take()
        }
        session!.links[peer] = link
        sendHello(peer, now: now)
        guard session?.links[peer]?.isAuthenticated == true else { return take() }
        interpret(session!.machine.linkOpened(peer, now: now), now: now)
        return take()
    }

    /// The shell's peer connection failed (also: making or applying a description failed) or closed.
    public mutating func linkClosed(peer: NodeID, session linkSession: UInt64, now: MonotonicTime) -> [NodeAction] {
        guard currentLink(peer, linkSession) != nil else { return take() }
        dropLink(peer, report: true, now: now)
        return take()
    }

    // MARK: - Internals

    func currentLink(_ peer: NodeID, _ linkSession: UInt64) -> LinkNegotiation? {
        guard let link = session?.links[peer], link.session == linkSession else { return nil }
        return link
    }

    private mutating func reject(_ peer: NodeID, _ rejection: LinkRejection, now: MonotonicTime) {
        log(.warning, "rejected the link to \(peer): \(rejection)")
        dropLink(peer, report: true, now: now)
    }

    /// Starts a link to `peer` (the node machine asked for one).
    mutating func openLink(to peer: NodeID, now: MonotonicTime) {
        guard let current = session, current.links[peer] == nil, peer != current.nodeID else { return }
        // Through the seed while the overlay has no path to the peer: with no links at all, or when this
        // node would be the peer's own next hop (re-linking a lost ring neighbour). The seed also answers
        // at once when the peer is gone, so the ring drops it instead of waiting for the connect timeout.
        // Also when the link to the peer has just closed: the overlay's path to it went through that link
        // or through nodes that may be dropping theirs at the same moment (all links a certificate
        // authenticated close when it expires), and a signal lost there costs the connect timeout.
        let viaSeed = !overlayReaches(peer) || linkJustClosed(peer, now: now)
        let link = LinkNegotiation(offeringTo: peer, session: random.next() | 1, viaSeed: viaSeed, now: now)
        session!.links[peer] = link
        emit(.openLink(peer: peer, session: link.session, remoteOffer: nil))
    }

    /// Handles a signal from `peer` that came through the seed (`viaSeed`) or the overlay.
    mutating func receiveSignal(_ payload: SignalPayload, from peer: NodeID, viaSeed: Bool, now: MonotonicTime) {
        guard let current = session, peer != current.nodeID else { return }
        switch payload.kind {
        case .offer(let sdp):
            // Before anything else: an offer whose fingerprint the hello could not bind must not even
            // displace the link there is.
            let remoteFingerprint: String
            do throws(SDPFingerprintError) {
                remoteFingerprint = try SDPFingerprint.only(in: sdp)
            } catch {
                return refuseOffer(from: peer, .fingerprint(error))
            }
            var offersInARow = 1
            if let existing = current.links[peer] {
                if existing.session == payload.sessionID {
                    // The offerer repeats an unanswered offer: this side's answer was lost.
                    for signal in existing.answerRepeat { sendSignal(signal, on: existing, now: now) }
                    return
                }
                // Both sides offered at once: the offer of the lower ID wins, on both sides alike.
                if existing.isOfferer && current.nodeID < peer {
                    // Still unanswered: the peer may never have got it, so it goes again. Already
                    // authenticated: the peer's offer lost the glare and merely arrived late (the peer
                    // dropped it when it answered ours); replacing the link for it would leave both sides
                    // without one until the connect timeout.
                    for signal in existing.offerRepeat { sendSignal(signal, on: existing, now: now) }
                    return
                }
                // A signal over the overlay proves its sender but not its freshness: a relay can replay a
                // signed offer it saw. So an offer that would tear down an authenticated link must come
                // through the seed. A peer that really lost its side reaches this node through the seed,
                // or again once this side finds the link dead.
                if existing.isAuthenticated && !viaSeed {
                    return refuseOffer(from: peer, .overlayOfferForAuthenticatedLink)
                }
                if !existing.isOfferer && !existing.isAuthenticated {
                    guard existing.offersInARow < settings.maximumOffersPerPeer else {
                        return refuseOffer(from: peer, .tooManyFromPeer(existing.offersInARow))
                    }
                    offersInARow = existing.offersInARow + 1
                } else if pendingIncomingLinks >= settings.maximumPendingOffers {
                    return refuseOffer(from: peer, .tooManyPending(pendingIncomingLinks))
                }
                dropLink(peer, report: existing.isAuthenticated, now: now)
                guard session != nil else { return }
            } else if pendingIncomingLinks >= settings.maximumPendingOffers {
                return refuseOffer(from: peer, .tooManyPending(pendingIncomingLinks))
            }
            // The answer goes back through the seed if the offer came that way, or if the link to the
            // peer has just closed (as for offers, see `openLink`).
            let answerViaSeed = viaSeed || linkJustClosed(peer, now: now)
            var link = LinkNegotiation(
                answering: peer, session: payload.sessionID, remoteFingerprint: remoteFingerprint, viaSeed: answerViaSeed,
                now: now)
            link.offersInARow = offersInARow
            session!.links[peer] = link
            emit(.openLink(peer: peer, session: payload.sessionID, remoteOffer: sdp))
        case .answer(let sdp):
            guard var link = current.links[peer], link.session == payload.sessionID else { return }
            do throws(LinkRejection) {
                guard try link.answerArrived(sdp) else { return }
            } catch {
                return reject(peer, error, now: now)
            }
            session!.links[peer] = link
            emit(.applyAnswer(peer: peer, session: payload.sessionID, sdp: sdp))
        case .candidate(let candidate, let sdpMid, let sdpMLineIndex):
            guard let link = current.links[peer], link.session == payload.sessionID else { return }
            emit(.addCandidate(
                peer: peer, session: payload.sessionID,
                candidate: ICECandidateLine(candidate: candidate, sdpMid: sdpMid, sdpMLineIndex: sdpMLineIndex)))
        }
    }

    private mutating func refuseOffer(from peer: NodeID, _ refusal: OfferRefusal) {
        log(.warning, "refused an offer from \(peer): \(refusal)")
    }

    /// Links the peers offered that are not authenticated yet (each holds a peer connection in the shell).
    private var pendingIncomingLinks: Int {
        var count = 0
        for link in session!.links.values where !link.isOfferer && !link.isAuthenticated { count += 1 }
        return count
    }

    /// Closes the link to `peer` and, if `report`, tells the node machine it failed or closed.
    mutating func dropLink(_ peer: NodeID, report: Bool, now: MonotonicTime) {
        guard let link = session?.links.removeValue(forKey: peer) else { return }
        emit(.closeLink(peer: peer, session: link.session))
        if link.isAuthenticated {
            let window = UInt64(session!.configuration.routing.connectTimeoutMilliseconds)
            session!.signalThroughSeedUntil[peer] = now.adding(milliseconds: window)
        }
        guard report else { return }
        if link.isAuthenticated {
            interpret(session!.machine.linkClosed(peer, now: now), now: now)
        } else {
            interpret(session!.machine.linkFailed(peer, now: now), now: now)
        }
    }

    /// Whether an authenticated link to `peer` closed within the connect timeout.
    private func linkJustClosed(_ peer: NodeID, now: MonotonicTime) -> Bool {
        guard let until = session?.signalThroughSeedUntil[peer] else { return false }
        return now < until
    }

    /// Whether the overlay has a path to `peer`: this node has links and the ring forwards toward it.
    private func overlayReaches(_ peer: NodeID) -> Bool {
        guard let ring = session?.machine.ring, ring.linkCount > 0, case .forward = ring.nextHop(toward: peer) else {
            return false
        }
        return true
    }

    /// Sends a signal the way the link's signaling started: through the seed while it is connected and
    /// the link started there, through the overlay otherwise. Greedy ring routes are not symmetric: the
    /// peer's offer may have come over the overlay while the way back does not exist (this node would be
    /// the peer's own next hop), so a signal the overlay cannot carry goes through the seed.
    mutating func sendSignal(_ payload: SignalPayload, on link: LinkNegotiation, now: MonotonicTime) {
        if seedConnected && (link.signalsViaSeed || !overlayReaches(link.peer)) {
            emit(.sendToSeed(.signal(to: link.peer, payload: payload)))
            return
        }
        signAndRelay(payload, to: link.peer, now: now)
    }

    private mutating func sendHello(_ peer: NodeID, now: MonotonicTime) {
        guard var link = session?.links[peer] else { return }
        let signed: [UInt8]
        do throws(LinkRejection) {
            guard let bytes = try link.helloToSign(network: session!.network) else { return }
            signed = bytes
        } catch {
            return reject(peer, error, now: now)
        }
        session!.links[peer] = link
        // The shell signs: the frame carries a placeholder in its last 64 bytes (the signature is the
        // hello's last field).
        let hello = LinkHello(certificate: session!.certificate, signature: [UInt8](repeating: 0, count: 64))
        emit(.signAndSendFrame(peer: peer, session: link.session, signedBytes: signed, frame: LinkFrameType.hello.frame(hello.encoded())))
    }
}
