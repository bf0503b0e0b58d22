/// Link management: signaling (through the seed until the overlay reaches the peer), the certificate
/// handshake and reporting links to the node machine; the browser counterpart of `ColonioNode+Links.swift`.
extension BrowserNode {
    mutating func openLink(to peer: NodeID, now: MonotonicTime, out: inout ShellOutput) {
        guard let current = session, current.links[peer] == nil, peer != current.nodeID else { return }
        // Through the seed while the overlay has no path to the peer (as the native node decides).
        var overlayReaches = false
        if let ring = current.machine.ring, ring.linkCount > 0, case .forward = ring.nextHop(toward: peer) {
            overlayReaches = true
        }
        let link = BrowserLink(
            peer: peer, sessionID: random.next() | 1, isOfferer: true, signalsViaSeed: !overlayReaches)
        session!.links[peer] = link
        out.emit(.openLink) {
            $0.write(field: 1, nodeID: peer)
            $0.write(field: 2, uint64: link.sessionID)
            $0.write(field: 3, bool: true)
        }
    }

    /// Handles a signal from `peer` that came through the seed (`viaSeed`) or the overlay.
    mutating func receiveSignal(_ payload: SignalPayload, from peer: NodeID, viaSeed: Bool, now: MonotonicTime, out: inout ShellOutput) {
        guard let current = session, peer != current.nodeID else { return }
        switch payload.kind {
        case .offer(let sdp):
            if let existing = current.links[peer] {
                if existing.sessionID == payload.sessionID { return }
                // Both sides offered at once: the offer of the lower ID wins, on both sides alike (see
                // `ColonioNode+Links.swift`): an unanswered one is sent again, an authenticated link stays.
                if existing.isOfferer && current.nodeID < peer {
                    if !existing.isAuthenticated, existing.remoteFingerprint == nil, let offer = existing.localOffer {
                        sendSignal(SignalPayload(sessionID: existing.sessionID, kind: .offer(sdp: offer)), on: existing, now: now, out: &out)
                        for candidate in existing.sentCandidates { sendSignal(candidate, on: existing, now: now, out: &out) }
                    }
                    return
                }
                dropLink(peer, report: existing.isAuthenticated, now: now, out: &out)
                guard session != nil else { return }
            }
            var link = BrowserLink(peer: peer, sessionID: payload.sessionID, isOfferer: false, signalsViaSeed: viaSeed)
            link.remoteFingerprint = SDPFingerprintBytes.extract(from: sdp)
            session!.links[peer] = link
            out.emit(.openLink) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: payload.sessionID)
                $0.write(field: 3, bool: false)
                $0.write(field: 4, string: sdp)
            }
        case .answer(let sdp):
            guard var link = current.links[peer], link.sessionID == payload.sessionID, link.isOfferer,
                  link.remoteFingerprint == nil else { return }
            link.remoteFingerprint = SDPFingerprintBytes.extract(from: sdp) ?? ""
            session!.links[peer] = link
            out.emit(.remoteAnswer) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: payload.sessionID)
                $0.write(field: 3, string: sdp)
            }
        case .candidate(let candidate, let sdpMid, let sdpMLineIndex):
            guard let link = current.links[peer], link.sessionID == payload.sessionID else { return }
            out.emit(.remoteCandidate) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: payload.sessionID)
                $0.write(field: 3, string: candidate)
                if let sdpMid { $0.write(field: 4, string: sdpMid) }
                if let sdpMLineIndex { $0.write(field: 5, uint64: UInt64(sdpMLineIndex)) }
            }
        }
    }

    /// The shell created its local description (offer or answer) for the link.
    mutating func localDescription(_ sdp: String, peer: NodeID, sessionID: UInt64, now: MonotonicTime, out: inout ShellOutput) {
        guard var link = currentLink(peer, sessionID) else { return }
        link.localFingerprint = SDPFingerprintBytes.extract(from: sdp)
        if link.isOfferer { link.localOffer = sdp }
        session!.links[peer] = link
        let kind: SignalPayload.Kind = link.isOfferer ? .offer(sdp: sdp) : .answer(sdp: sdp)
        sendSignal(SignalPayload(sessionID: sessionID, kind: kind), on: link, now: now, out: &out)
    }

    /// The shell's peer connection found a local ICE candidate.
    mutating func localCandidate(
        _ candidate: String, sdpMid: String?, sdpMLineIndex: UInt32?, peer: NodeID, sessionID: UInt64,
        now: MonotonicTime, out: inout ShellOutput
    ) {
        guard var link = currentLink(peer, sessionID) else { return }
        let kind = SignalPayload.Kind.candidate(candidate: candidate, sdpMid: sdpMid, sdpMLineIndex: sdpMLineIndex ?? 0)
        let payload = SignalPayload(sessionID: sessionID, kind: kind)
        if link.isOfferer && link.sentCandidates.count < BrowserLink.maximumRepeatedCandidates {
            link.sentCandidates.append(payload)
            session!.links[peer] = link
        }
        sendSignal(payload, on: link, now: now, out: &out)
    }

    /// The link's data channel opened: send the hello.
    mutating func linkOpened(peer: NodeID, sessionID: UInt64, now: MonotonicTime, out: inout ShellOutput) {
        guard currentLink(peer, sessionID) != nil else { return }
        sendHello(peer, now: now, out: &out)
    }

    /// A whole message arrived on the link (the shell joined its fragments).
    mutating func linkFrame(
        _ bytes: [UInt8], peer: NodeID, sessionID: UInt64, unixSeconds: UInt64, now: MonotonicTime, out: inout ShellOutput
    ) {
        guard let link = currentLink(peer, sessionID), let type = bytes.first else { return }
        switch type {
        case LinkFrame.overlay:
            guard link.isAuthenticated else { return }
            interpret(session!.machine.received(Array(bytes.dropFirst()), from: peer, now: now), now: now, out: &out)
        case LinkFrame.hello:
            guard !link.isAuthenticated, !link.isVerifying else { return }
            verifyHello(Array(bytes.dropFirst()), link: link, unixSeconds: unixSeconds, now: now, out: &out)
        default:
            out.log("dropped a frame of unknown type from \(peer)")
        }
    }

    /// The shell checked the signatures of the peer's hello.
    mutating func linkVerified(peer: NodeID, sessionID: UInt64, valid: Bool, now: MonotonicTime, out: inout ShellOutput) {
        guard var link = currentLink(peer, sessionID), link.isVerifying else { return }
        guard valid else {
            out.log("rejected a link from \(peer): the hello's signatures do not verify")
            return dropLink(peer, report: true, now: now, out: &out)
        }
        sendHello(peer, now: now, out: &out)
        link = session!.links[peer]!
        link.isVerifying = false
        link.isAuthenticated = true
        session!.links[peer] = link
        interpret(session!.machine.linkOpened(peer, now: now), now: now, out: &out)
    }

    /// The shell's peer connection failed or closed.
    mutating func linkClosed(peer: NodeID, sessionID: UInt64, now: MonotonicTime, out: inout ShellOutput) {
        guard currentLink(peer, sessionID) != nil else { return }
        dropLink(peer, report: true, now: now, out: &out)
    }

    /// Closes the link to `peer` and, if `report`, tells the node machine it failed or closed.
    mutating func dropLink(_ peer: NodeID, report: Bool, now: MonotonicTime, out: inout ShellOutput) {
        guard let link = session?.links.removeValue(forKey: peer) else { return }
        emitClose(link, out: &out)
        guard report else { return }
        if link.isAuthenticated {
            interpret(session!.machine.linkClosed(peer, now: now), now: now, out: &out)
        } else {
            interpret(session!.machine.linkFailed(peer, now: now), now: now, out: &out)
        }
    }

    func emitClose(_ link: BrowserLink, out: inout ShellOutput) {
        out.emit(.closeLink) {
            $0.write(field: 1, nodeID: link.peer)
            $0.write(field: 2, uint64: link.sessionID)
        }
    }

    private func currentLink(_ peer: NodeID, _ sessionID: UInt64) -> BrowserLink? {
        guard let link = session?.links[peer], link.sessionID == sessionID else { return nil }
        return link
    }

    /// Sends a signal the way the link's signaling started: through the seed while it is connected and
    /// the link started there, through the overlay otherwise.
    private mutating func sendSignal(_ payload: SignalPayload, on link: BrowserLink, now: MonotonicTime, out: inout ShellOutput) {
        if link.signalsViaSeed && seedConnected {
            out.emit(.seedSend) { $0.write(field: 1, bytes: SeedFrame.signal(to: link.peer, payload: payload).encoded()) }
            return
        }
        interpret(session!.machine.sendSignal(payload, to: link.peer, now: now), now: now, out: &out)
    }

    private mutating func sendHello(_ peer: NodeID, now: MonotonicTime, out: inout ShellOutput) {
        guard var link = session?.links[peer], !link.helloSent else { return }
        guard let local = link.localFingerprint, let remote = link.remoteFingerprint, !remote.isEmpty else {
            out.log("link to \(peer) opened without DTLS fingerprints; closing")
            return dropLink(peer, report: true, now: now, out: &out)
        }
        let signed = LinkHello.signedBytes(network: session!.network, senderFingerprint: local, receiverFingerprint: remote)
        // The signature is made by WebCrypto in the shell: the frame carries a placeholder in its last 64 bytes.
        let hello = LinkHello(certificate: session!.certificate, signature: [UInt8](repeating: 0, count: 64))
        link.helloSent = true
        session!.links[peer] = link
        out.emit(.signAndSend) {
            $0.write(field: 1, nodeID: peer)
            $0.write(field: 2, uint64: link.sessionID)
            $0.write(field: 3, bytes: signed)
            $0.write(field: 4, bytes: [LinkFrame.hello] + hello.encoded())
        }
    }

    private mutating func verifyHello(
        _ bytes: [UInt8], link: BrowserLink, unixSeconds: UInt64, now: MonotonicTime, out: inout ShellOutput
    ) {
        let peer = link.peer
        let hello: LinkHello
        do {
            hello = try LinkHello(decoding: bytes)
        } catch {
            out.log("rejected a link from \(peer): malformed hello: \(error)")
            return dropLink(peer, report: true, now: now, out: &out)
        }
        let certificate = hello.certificate
        let network = session!.network
        var reason: String?
        if !certificate.network.utf8.elementsEqual(network.utf8) {
            reason = "the certificate is for network \"\(certificate.network)\", not \"\(network)\""
        } else if certificate.nodeID != peer {
            reason = "the certificate is for \(certificate.nodeID), expected \(peer)"
        } else if !certificate.isValid(atUnixSeconds: unixSeconds) {
            reason = "the certificate expired at \(certificate.expiry) (Unix seconds)"
        } else if link.localFingerprint == nil || link.remoteFingerprint == nil {
            reason = "no DTLS fingerprints"
        }
        if let reason {
            out.log("rejected a link from \(peer): \(reason)")
            return dropLink(peer, report: true, now: now, out: &out)
        }
        var verifying = link
        verifying.isVerifying = true
        session!.links[peer] = verifying
        // The peer signed its own fingerprint first: ours is the receiver's.
        let signed = LinkHello.signedBytes(
            network: network, senderFingerprint: link.remoteFingerprint!, receiverFingerprint: link.localFingerprint!)
        let seedPublicKey = session!.seedPublicKey
        out.emit(.verifyHello) {
            $0.write(field: 1, nodeID: peer)
            $0.write(field: 2, uint64: link.sessionID)
            $0.write(field: 3, bytes: certificate.signedBytes)
            $0.write(field: 4, bytes: certificate.signature)
            $0.write(field: 5, bytes: signed)
            $0.write(field: 6, bytes: hello.signature)
            $0.write(field: 7, bytes: certificate.publicKey)
            $0.write(field: 8, bytes: seedPublicKey)
        }
    }
}
