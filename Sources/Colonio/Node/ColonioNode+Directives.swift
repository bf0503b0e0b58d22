import Foundation
import ColonioCore
import ColonioWebRTC
import Logging

/// The shell half of the node: runs timers and turns the node machine's directives into I/O.
extension ColonioNode {
    func startBackgroundTasks(_ session: NodeSession) {
        let interval = options.tickInterval
        let generation = session.generation
        session.tasks.append(Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                self.tick(generation)
            }
        })
    }

    private func tick(_ generation: UInt64) {
        guard let session = session(generation) else { return }
        let now = session.now()
        interpret(session.machine.tick(now: now), in: session)
        interpret(session.geo.tick(now: now), in: session)
        interpret(session.kvs.tick(now: now), in: session)
        searchPeersIfAlone(in: session, now: now)
        let authenticated = session.authenticatedLinkCount
        session.metrics.update(
            links: authenticated, pending: session.links.count - authenticated,
            geoNeighbours: session.geo.neighbours.count, seedConnected: session.seed.isConnected,
            overlay: session.machine.statistics)
    }

    /// Carries out the node machine's directives in order.
    func interpret(_ directives: [NodeDirective], in session: NodeSession) {
        for directive in directives {
            switch directive {
            case .connect(let peer):
                openLink(to: peer, in: session)
            case .disconnect(let peer):
                if let entry = session.links.removeValue(forKey: peer) { entry.close() }
            case .transmit(let bytes, let peer):
                session.links[peer]?.enqueue(.overlay, bytes)
            case .deliverMessage(let message):
                deliver(message, in: session)
            case .deliverRequest(let message):
                deliver(message, in: session)
            case .requestCompleted(let requestID, let outcome):
                if let operation = session.kvsRequests.removeValue(forKey: requestID) {
                    interpret(session.kvs.ownerResponded(operation, outcome: outcome, now: session.now()), in: session)
                } else if let waiting = session.pendingRequests.removeValue(forKey: requestID) {
                    if case .response = outcome {
                        session.metrics.requestCompleted(succeeded: true)
                    } else {
                        session.metrics.requestCompleted(succeeded: false)
                    }
                    waiting.resume(returning: outcome)
                }
            case .deliverSignal(let payload, let from):
                receiveSignal(payload, from: from, viaSeed: false, in: session)
            case .deliverSpread(let incoming):
                interpret(session.geo.receive(incoming.bytes, from: incoming.source, now: session.now()), in: session)
            case .deliverKVS(let incoming):
                interpret(
                    session.kvs.received(incoming.bytes, from: incoming.source, reply: incoming.reply, now: session.now()),
                    in: session)
            case .peerLost(let peer):
                interpret(session.geo.nodeLeft(peer, now: session.now()), in: session)
            case .neighboursChanged(let successors, let predecessors):
                // Ring neighbours are reachable: a starting point for finding geographic neighbours.
                interpret(session.geo.discovered(successors + predecessors, now: session.now()), in: session)
                interpret(
                    session.kvs.neighboursChanged(successors: successors, predecessors: predecessors, now: session.now()),
                    in: session)
            }
        }
    }

    /// Carries out the pub/sub machine's directives.
    func interpret(_ directives: [GeoDirective], in session: NodeSession) {
        for directive in directives {
            switch directive {
            case .send(let bytes, let peer):
                do {
                    interpret(try session.machine.sendOpaque(bytes, channel: .spread, to: .node(peer), now: session.now()), in: session)
                } catch {
                    session.logger.warning("dropped a pub/sub packet", metadata: ["error": "\(error)"])
                }
            case .deliver(let delivery):
                session.metrics.spreadDelivered()
                for continuation in subscribers[delivery.topic, default: [:]].values { continuation.yield(delivery) }
            case .wantNeighbours(let peers):
                interpret(session.machine.setAuxiliaryLinks(peers, now: session.now()), in: session)
            case .publishSucceeded(let id):
                session.pendingPublications.removeValue(forKey: id)?.resume(returning: nil)
            case .publishFailed(let id, let error):
                session.pendingPublications.removeValue(forKey: id)?.resume(returning: error)
            }
        }
    }

    /// Carries out the key-value store's directives.
    func interpret(_ directives: [KVSNodeDirective], in session: NodeSession) {
        for directive in directives {
            let now = session.now()
            switch directive {
            case .requestOwner(let bytes, let position, let operation):
                do {
                    let started = try session.machine.requestOpaque(bytes, channel: .kvs, to: .ownerOf(position), now: now)
                    session.kvsRequests[started.requestID] = operation
                    interpret(started.directives, in: session)
                } catch {
                    interpret(session.kvs.ownerResponded(operation, outcome: .failure(.unreachable), now: now), in: session)
                }
            case .send(let bytes, let peer):
                do {
                    interpret(try session.machine.sendOpaque(bytes, channel: .kvs, to: .node(peer), now: now), in: session)
                } catch {
                    session.logger.warning("dropped a KVS message", metadata: ["error": "\(error)"])
                }
            case .respond(let token, let bytes):
                interpret(session.machine.respond(to: token, payload: bytes, now: now), in: session)
            case .complete(let operation, let result):
                if case .success = result {
                    session.metrics.kvsCompleted(succeeded: true)
                } else {
                    session.metrics.kvsCompleted(succeeded: false)
                }
                session.pendingKVS.removeValue(forKey: operation)?.resume(returning: result.mapError(ColonioError.init))
            }
        }
    }

    private func deliver(_ incoming: IncomingMessage, in session: NodeSession) {
        let message = ColonioMessage(
            source: incoming.source, name: incoming.name, payload: incoming.payload,
            hopCount: Int(incoming.hopCount), isRequest: incoming.reply != nil)
        session.metrics.messageDelivered(isRequest: message.isRequest)
        guard let handler = handlers[incoming.name] else {
            if let token = incoming.reply {
                interpret(session.machine.respond(to: token, failure: DeliveryFailure(code: .noHandler), now: session.now()), in: session)
            }
            return
        }
        // Boxed: the message and the reply token hold `NodeID`s, which a task closure must not capture
        // directly (see `LinkKey`).
        let delivery = Delivery(message: message, reply: incoming.reply, generation: session.generation)
        Task {
            let result: Result<[UInt8], any Error>
            do {
                result = .success(try await handler(delivery.message))
            } catch {
                result = .failure(error)
            }
            guard let reply = delivery.reply else { return }
            self.respond(to: reply, with: result, generation: delivery.generation)
        }
    }

    private func respond(to token: ReplyToken, with result: Result<[UInt8], any Error>, generation: UInt64) {
        guard let session = session(generation) else { return }
        let now = session.now()
        switch result {
        case .success(let bytes):
            interpret(session.machine.respond(to: token, payload: bytes, now: now), in: session)
        case .failure(let error):
            let failure = DeliveryFailure(code: .handlerFailed, detail: String(describing: error))
            interpret(session.machine.respond(to: token, failure: failure, now: now), in: session)
        }
    }
}

/// A message on its way to a handler, with what answering it needs.
private final class Delivery: Sendable {
    let message: ColonioMessage
    let reply: ReplyToken?
    let generation: UInt64

    init(message: ColonioMessage, reply: ReplyToken?, generation: UInt64) {
        self.message = message
        self.reply = reply
        self.generation = generation
    }
}
