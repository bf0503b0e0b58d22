import ColonioCore
import ColonioWebRTC
import Crypto
import Foundation
import Logging

/// The shell half of the node: runs the tick and carries out the controller's actions.
extension ColonioNode {
    func startBackgroundTasks(_ session: NodeSession) {
        let (interval, clock) = (options.tickInterval, options.clock)
        let generation = session.generation
        session.tasks.append(Task {
            while !Task.isCancelled {
                try? await clock.sleep(for: interval)
                self.tick(generation)
            }
        })
    }

    private func tick(_ generation: UInt64) {
        guard let session = session(generation) else { return }
        perform(controller.tick(now: now(), unixSeconds: unixSeconds()), in: session)
        guard let state = controller.session else { return }
        let authenticated = state.authenticatedLinkCount
        session.metrics.update(
            links: authenticated, pending: state.links.count - authenticated,
            geoNeighbours: state.geo.neighbours.count, seedConnected: session.seed.isConnected,
            overlay: state.machine.statistics)
    }

    /// Carries out the controller's actions in order.
    func perform(_ actions: [NodeAction], in session: NodeSession) {
        for action in actions { perform(action, in: session) }
    }

    private func perform(_ action: NodeAction, in session: NodeSession) {
        switch action {
        case .sendToSeed(let frame):
            sendToSeed(frame, in: session)
        case .signAndSendResume:
            break  // The seed client signs its resume claims itself (see `ColonioNode+Seed.swift`).
        case .signedIn(let response):
            session.logger[metadataKey: "node"] = "\(response.nodeID)"
        case .signInFailed(let refusal):
            session.logger.warning("the seed refused the sign-in", metadata: ["reason": "\(refusal.message)"])
        case .seedRestored:
            session.metrics.seedReturned(resumed: true)
        case .connectToSeed:
            connectToSeed(in: session)
        case .useICEServers(let servers):
            session.transport.setICEServers(servers.map(ICEServer.init))
        case .openLink(let peer, let linkSession, let remoteOffer):
            openLink(to: peer, session: linkSession, remoteOffer: remoteOffer, in: session)
        case .applyAnswer(let peer, let linkSession, let sdp):
            applyAnswer(sdp, peer: peer, session: linkSession, in: session)
        case .addCandidate(let peer, let linkSession, let candidate):
            addCandidate(candidate, peer: peer, session: linkSession, in: session)
        case .closeLink(let peer, let linkSession):
            if let link = session.links[peer], link.session == linkSession {
                session.links[peer] = nil
                link.close()
            }
        case .sendFrame(let peer, let linkSession, let frame):
            if let link = session.links[peer], link.session == linkSession { link.send(frame) }
        case .signAndSendFrame(let peer, let linkSession, let signedBytes, var frame):
            guard let link = session.links[peer], link.session == linkSession,
                  let signature = try? session.keypair.signature(for: signedBytes), signature.count == 64
            else { return }
            frame.replaceSubrange((frame.count - 64)..., with: signature)
            link.send(frame)
        case .verifyHello(let peer, let linkSession, let check):
            perform(controller.helloVerified(peer: peer, session: linkSession, valid: Self.verify(check), now: now()), in: session)
        case .signSignal(let id, let signedBytes):
            let signature = (try? session.keypair.signature(for: signedBytes)).map { [UInt8]($0) } ?? []
            perform(controller.signalSigned(id: id, signature: signature, now: now()), in: session)
        case .verifySignal(let id, let check):
            perform(controller.signalVerified(id: id, valid: Self.verify(check), now: now()), in: session)
        case .deliverMessage(let incoming, let replyID):
            deliver(incoming, replyID: replyID, in: session)
        case .requestCompleted(let requestID, let outcome):
            guard let waiting = session.pendingRequests.removeValue(forKey: requestID) else { return }
            if case .response = outcome {
                session.metrics.requestCompleted(succeeded: true)
            } else {
                session.metrics.requestCompleted(succeeded: false)
            }
            waiting.resume(returning: outcome)
        case .deliverSpread(let delivery):
            session.metrics.spreadDelivered()
            for continuation in subscribers[delivery.topic, default: [:]].values { continuation.yield(delivery) }
        case .publishCompleted(let id, let error):
            session.pendingPublications.removeValue(forKey: id)?.resume(returning: error)
        case .kvsCompleted(let operation, let result):
            if case .success = result {
                session.metrics.kvsCompleted(succeeded: true)
            } else {
                session.metrics.kvsCompleted(succeeded: false)
            }
            session.pendingKVS.removeValue(forKey: operation)?.resume(returning: result.mapError(ColonioError.init))
        case .log(let level, let text):
            session.logger.log(level: Logger.Level(level), "\(text)")
        }
    }

    /// Whether `signature` is `key`'s Ed25519 signature over `bytes`.
    /// Both signatures of a certified signer: the seed's over the certificate, the signer's over the bytes.
    private nonisolated static func verify(_ check: CertifiedSignature) -> Bool {
        verify(check.certificateSignature, of: check.certificateBytes, by: check.seedPublicKey)
            && verify(check.signature, of: check.signedBytes, by: check.signerPublicKey)
    }

    private nonisolated static func verify(_ signature: [UInt8], of bytes: [UInt8], by key: [UInt8]) -> Bool {
        guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key) else { return false }
        return publicKey.isValidSignature(signature, for: bytes)
    }

    private func deliver(_ incoming: IncomingMessage, replyID: UInt64?, in session: NodeSession) {
        let message = ColonioMessage(
            source: incoming.source, name: incoming.name, payload: incoming.payload,
            hopCount: Int(incoming.hopCount), isRequest: replyID != nil)
        session.metrics.messageDelivered(isRequest: message.isRequest)
        guard let handler = handlers[incoming.name] else {
            if let replyID {
                perform(controller.respond(replyID: replyID, failure: DeliveryFailure(code: .noHandler), now: now()), in: session)
            }
            return
        }
        // Boxed: the message holds `NodeID`s, which a task closure must not capture directly (see `LinkKey`).
        let delivery = Delivery(message: message, replyID: replyID, generation: session.generation)
        Task {
            let result: Result<[UInt8], any Error>
            do {
                result = .success(try await handler(delivery.message))
            } catch {
                result = .failure(error)
            }
            guard let replyID = delivery.replyID else { return }
            self.respond(to: replyID, with: result, generation: delivery.generation)
        }
    }

    private func respond(to replyID: UInt64, with result: Result<[UInt8], any Error>, generation: UInt64) {
        guard let session = session(generation) else { return }
        switch result {
        case .success(let bytes):
            perform(controller.respond(replyID: replyID, payload: bytes, now: now()), in: session)
        case .failure(let error):
            let failure = DeliveryFailure(code: .handlerFailed, detail: String(describing: error))
            perform(controller.respond(replyID: replyID, failure: failure, now: now()), in: session)
        }
    }
}

/// A message on its way to a handler, with what answering it needs.
private final class Delivery: Sendable {
    let message: ColonioMessage
    let replyID: UInt64?
    let generation: UInt64

    init(message: ColonioMessage, replyID: UInt64?, generation: UInt64) {
        self.message = message
        self.replyID = replyID
        self.generation = generation
    }
}

extension Logger.Level {
    init(_ level: NodeLogLevel) {
        switch level {
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        }
    }
}
