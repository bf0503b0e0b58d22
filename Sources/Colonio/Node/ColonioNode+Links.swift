import ColonioCore
import ColonioWebRTC
import Logging

/// The peer connections the controller asks for: made, described, fed candidates and closed here;
/// their events go back to the controller.
extension ColonioNode {
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
    private func resolve(_ key: LinkKey) -> (NodeSession, ShellLink)? {
        guard let session = session(key.generation), let link = session.links[key.peer], link.session == key.session
        else { return nil }
        return (session, link)
    }

    func openLink(to peer: NodeID, session linkSession: UInt64, remoteOffer: String?, in session: NodeSession) {
        let transportLink: any TransportLink
        do {
            transportLink = try session.transport.makeLink(logger: session.logger)
        } catch {
            session.logger.error("cannot create a link", metadata: ["peer": "\(peer)", "error": "\(error)"])
            perform(controller.linkClosed(peer: peer, session: linkSession, now: now()), in: session)
            return
        }
        session.links[peer]?.close()
        let link = ShellLink(peer: peer, session: linkSession, link: transportLink)
        session.links[peer] = link
        let key = LinkKey(generation: session.generation, peer: peer, session: linkSession)
        link.attach(Task {
            for await event in transportLink.events {
                self.handle(event, key)
            }
        })
        Task {
            let made = if let remoteOffer {
                await Self.outcome { try await transportLink.accept(offer: remoteOffer) }
            } else {
                await Self.outcome { try await transportLink.makeOffer() }
            }
            switch made {
            case .success(let sdp): self.described(sdp, key)
            case .failure(let error): self.linkSetupFailed(key, error: error)
            }
        }
    }

    private func described(_ sdp: String, _ key: LinkKey) {
        guard let (session, _) = resolve(key) else { return }
        perform(controller.localDescription(sdp, peer: key.peer, session: key.session, now: now()), in: session)
    }

    func applyAnswer(_ sdp: String, peer: NodeID, session linkSession: UInt64, in session: NodeSession) {
        guard let link = session.links[peer], link.session == linkSession else { return }
        let key = LinkKey(generation: session.generation, peer: peer, session: linkSession)
        let transportLink = link.link
        Task {
            if case .failure(let error) = await Self.outcome({ try await transportLink.setAnswer(sdp) }) {
                self.linkSetupFailed(key, error: error)
            }
        }
    }

    func addCandidate(_ candidate: ICECandidateLine, peer: NodeID, session linkSession: UInt64, in session: NodeSession) {
        guard let link = session.links[peer], link.session == linkSession else { return }
        let ice = ICECandidate(
            candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: Int32(clamping: candidate.sdpMLineIndex ?? 0))
        // The peer as text: a captured `NodeID` would hit the miscompile described at `LinkKey`.
        let (transportLink, logger, peerText) = (link.link, session.logger, "\(peer)")
        Task {
            if case .failure(let error) = await Self.outcome({ try await transportLink.add(candidate: ice) }) {
                logger.debug("ignored a bad ICE candidate", metadata: ["peer": "\(peerText)", "error": "\(error)"])
            }
        }
    }

    private func linkSetupFailed(_ key: LinkKey, error: any Error) {
        guard let (session, _) = resolve(key) else { return }
        session.logger.warning("link setup failed", metadata: ["peer": "\(key.peer)", "error": "\(error)"])
        perform(controller.linkClosed(peer: key.peer, session: key.session, now: now()), in: session)
    }

    private func handle(_ event: PeerLinkEvent, _ key: LinkKey) {
        guard let (session, link) = resolve(key) else { return }
        switch event {
        case .localCandidate(let candidate):
            let line = ICECandidateLine(
                candidate: candidate.candidate, sdpMid: candidate.sdpMid,
                sdpMLineIndex: UInt32(clamping: max(0, candidate.sdpMLineIndex)))
            perform(controller.localCandidate(line, peer: key.peer, session: key.session, now: now()), in: session)
        case .opened:
            perform(controller.linkOpened(peer: key.peer, session: key.session, now: now()), in: session)
        case .message(let bytes):
            perform(
                controller.linkFrame(bytes, peer: key.peer, session: key.session, now: now(), unixSeconds: unixSeconds()),
                in: session)
        case .closed:
            session.links[key.peer] = nil
            link.close()
            perform(controller.linkClosed(peer: key.peer, session: key.session, now: now()), in: session)
        case .stateChanged(let state):
            link.connectionState = state
        }
    }
}

/// Names one link across tasks: the node session, the peer and the link session.
///
/// A class, not a struct, on purpose: an async closure that captures a 16-byte-aligned value
/// (`NodeID` is a `UInt128`) next to a few other captures miscompiles with Swift 6.3 on x86-64 (the
/// partial-apply forwarder stores the value into a tail-call stack-argument area the caller never
/// reserved, overwriting the executor's stack frame; swiftlang/swift#90813 is the same bug on Windows).
/// Task closures therefore capture `NodeID`s only inside a reference like this one.
final class LinkKey: Sendable {
    let generation: UInt64
    let peer: NodeID
    let session: UInt64

    init(generation: UInt64, peer: NodeID, session: UInt64) {
        self.generation = generation
        self.peer = peer
        self.session = session
    }
}
