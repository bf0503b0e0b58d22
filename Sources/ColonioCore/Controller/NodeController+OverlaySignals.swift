/// Signals over the overlay carry proof of their sender: any node on a route can write any source ID into
/// a packet, so each signal is signed by its sender's certificate key (``SignedSignal``), and a receiver
/// acts on it only once the shell has verified the signature and the seed's over the certificate. The
/// shell signs and verifies asynchronously (WebCrypto in the browser); the queues keep the signals in
/// order across those steps.
extension NodeController {
    /// A signal waiting for this node's signature before it goes over the overlay.
    struct OutgoingSignal: Sendable {
        let receiver: NodeID
        let signal: SignalPayload
    }

    /// A signal from the overlay waiting for the shell's signature check.
    struct IncomingSignal: Sendable {
        let sender: NodeID
        let signal: SignalPayload
    }

    /// Signals waiting for a signature, at most: a few per link being made, for many links at once.
    static let signalsToSignCapacity = 256
    /// Signals waiting for a signature check, at most. Any member can send signals (each costs two
    /// verifications), so beyond this the newest are dropped; a genuine sender repeats its offer.
    static let signalsToCheckCapacity = 64
    /// A signing or checking step the shell has not reported after this long is given up, so that it
    /// does not hold up the signals behind it.
    static let signalStepTimeoutMilliseconds: UInt64 = 10_000

    /// Relays `signal` to `peer` over the overlay once the shell has signed it.
    mutating func signAndRelay(_ signal: SignalPayload, to peer: NodeID, now: MonotonicTime) {
        let current = session!
        let id = nextSignalStepID
        nextSignalStepID += 1
        guard session!.signalsToSign.add(OutgoingSignal(receiver: peer, signal: signal), id: id, now: now) else {
            return log(.warning, "dropped a signal to \(peer): \(Self.signalsToSignCapacity) signals are waiting for a signature")
        }
        let signedBytes = SignedSignal.signedBytes(
            network: current.network, sender: current.nodeID, receiver: peer, signal: signal)
        emit(.signSignal(id: id, signedBytes: signedBytes))
    }

    /// The shell signed the signal of ``NodeAction/signSignal(id:signedBytes:)`` (an empty `signature`:
    /// it could not). Signals go out in the order they were made.
    public mutating func signalSigned(id: UInt64, signature: [UInt8], now: MonotonicTime) -> [NodeAction] {
        guard session != nil else { return take() }
        for (outgoing, signature) in session!.signalsToSign.finish(id, with: signature) {
            relay(outgoing, signature: signature, now: now)
        }
        return take()
    }

    private mutating func relay(_ outgoing: OutgoingSignal, signature: [UInt8], now: MonotonicTime) {
        guard session != nil else { return }
        guard signature.count == SeedLimits.signatureBytes else {
            return log(.warning, "dropped a signal to \(outgoing.receiver): the shell could not sign it")
        }
        let signed = SignedSignal(certificate: session!.certificate, signal: outgoing.signal, signature: signature)
        interpret(session!.machine.sendSignal(signed, to: outgoing.receiver, now: now), now: now)
    }

    /// A signal arrived over the overlay: checks what needs no signature verification, then asks the shell
    /// to verify the two signatures.
    mutating func checkOverlaySignal(_ signed: SignedSignal, from sender: NodeID, now: MonotonicTime) {
        let current = session!
        guard sender != current.nodeID else { return }
        let check: CertifiedSignature
        do throws(LinkRejection) {
            check = try CertifiedSignature.checking(
                signed.certificate, of: sender, signature: signed.signature,
                over: SignedSignal.signedBytes(
                    network: current.network, sender: sender, receiver: current.nodeID, signal: signed.signal),
                network: current.network, seedPublicKey: current.seedPublicKey, unixSeconds: latestUnixSeconds)
        } catch {
            return refuseSignal(from: sender, error)
        }
        let id = nextSignalStepID
        nextSignalStepID += 1
        guard session!.signalsToCheck.add(IncomingSignal(sender: sender, signal: signed.signal), id: id, now: now) else {
            return log(.warning, "dropped a signal from \(sender): \(Self.signalsToCheckCapacity) signals are waiting for a check")
        }
        emit(.verifySignal(id: id, check))
    }

    /// The shell checked the signatures of the signal of ``NodeAction/verifySignal(id:_:)``. Signals are
    /// acted on in the order they arrived.
    public mutating func signalVerified(id: UInt64, valid: Bool, now: MonotonicTime) -> [NodeAction] {
        guard session != nil else { return take() }
        for (incoming, valid) in session!.signalsToCheck.finish(id, with: valid) {
            guard session != nil else { break }
            guard valid else {
                refuseSignal(from: incoming.sender, .badSignature)
                continue
            }
            receiveSignal(incoming.signal, from: incoming.sender, viaSeed: false, now: now)
        }
        return take()
    }

    /// Gives up signing and checking steps the shell never reported, and goes on with the signals that
    /// waited behind them.
    mutating func expireSignalSteps(now: MonotonicTime) {
        guard now.milliseconds >= Self.signalStepTimeoutMilliseconds else { return }
        let deadline = MonotonicTime(milliseconds: now.milliseconds - Self.signalStepTimeoutMilliseconds)
        let signing = session!.signalsToSign.giveUp(addedBefore: deadline)
        if signing.dropped > 0 { log(.warning, "gave up \(signing.dropped) signals the shell did not sign in time") }
        for (outgoing, signature) in signing.ready { relay(outgoing, signature: signature, now: now) }
        guard session != nil else { return }
        let checking = session!.signalsToCheck.giveUp(addedBefore: deadline)
        if checking.dropped > 0 { log(.warning, "gave up \(checking.dropped) signals the shell did not check in time") }
        for (incoming, valid) in checking.ready where valid && session != nil {
            receiveSignal(incoming.signal, from: incoming.sender, viaSeed: false, now: now)
        }
    }

    private mutating func refuseSignal(from sender: NodeID, _ rejection: LinkRejection) {
        log(.warning, "refused a signal from \(sender) over the overlay: \(rejection)")
    }
}
