/// Carrying out the protocol machines' directives: what one machine asks of another stays inside the
/// controller; what needs I/O or the application becomes a ``NodeAction``.
extension NodeController {
    mutating func interpret(_ directives: [NodeDirective], now: MonotonicTime) {
        for directive in directives {
            guard session != nil else { return }
            switch directive {
            case .connect(let peer):
                openLink(to: peer, now: now)
            case .disconnect(let peer):
                if let link = session!.links.removeValue(forKey: peer) {
                    emit(.closeLink(peer: peer, session: link.session))
                }
            case .transmit(let bytes, let peer):
                guard let link = session!.links[peer] else { continue }
                emit(.sendFrame(peer: peer, session: link.session, frame: LinkFrameType.overlay.frame(bytes)))
            case .deliverMessage(let message), .deliverRequest(let message):
                deliver(message)
            case .requestCompleted(let requestID, let outcome):
                if let operation = session!.kvsRequests.removeValue(forKey: requestID) {
                    interpret(session!.kvs.ownerResponded(operation, outcome: outcome, now: now), now: now)
                } else if session!.applicationRequests.remove(requestID) != nil {
                    emit(.requestCompleted(requestID: requestID, outcome: outcome))
                }
            case .deliverSignal(let signed, let from):
                checkOverlaySignal(signed, from: from, now: now)
            case .deliverSpread(let incoming):
                interpret(session!.geo.receive(incoming.bytes, from: incoming.source, now: now), now: now)
            case .deliverKVS(let incoming):
                interpret(session!.kvs.received(incoming.bytes, from: incoming.source, reply: incoming.reply, now: now), now: now)
            case .peerLost(let peer):
                interpret(session!.geo.nodeLeft(peer, now: now), now: now)
            case .peerLeft(let peer):
                interpret(session!.geo.nodeLeft(peer, now: now), now: now)
            case .neighboursChanged(let successors, let predecessors):
                // Ring neighbours are reachable: a starting point for finding geographic neighbours.
                interpret(session!.geo.discovered(successors + predecessors, now: now), now: now)
                guard session != nil else { return }
                interpret(session!.kvs.neighboursChanged(successors: successors, predecessors: predecessors, now: now), now: now)
            }
        }
    }

    mutating func interpret(_ directives: [GeoDirective], now: MonotonicTime) {
        for directive in directives {
            guard session != nil else { return }
            switch directive {
            case .send(let bytes, let peer):
                do {
                    interpret(try session!.machine.sendOpaque(bytes, channel: .spread, to: .node(peer), now: now), now: now)
                } catch {
                    log(.warning, "dropped a pub/sub packet: \(error)")
                }
            case .deliver(let delivery):
                emit(.deliverSpread(delivery))
            case .wantNeighbours(let peers):
                interpret(session!.machine.setAuxiliaryLinks(peers, now: now), now: now)
            case .publishSucceeded(let id):
                if let shellID = session!.publications.removeValue(forKey: id) { emit(.publishCompleted(id: shellID, error: nil)) }
            case .publishFailed(let id, let error):
                if let shellID = session!.publications.removeValue(forKey: id) { emit(.publishCompleted(id: shellID, error: error)) }
            }
        }
    }

    mutating func interpret(_ directives: [KVSNodeDirective], now: MonotonicTime) {
        for directive in directives {
            guard session != nil else { return }
            switch directive {
            case .requestOwner(let bytes, let position, let operation):
                do {
                    let started = try session!.machine.requestOpaque(bytes, channel: .kvs, to: .ownerOf(position), now: now)
                    session!.kvsRequests[started.requestID] = operation
                    interpret(started.directives, now: now)
                } catch {
                    interpret(session!.kvs.ownerResponded(operation, outcome: .failure(.unreachable), now: now), now: now)
                }
            case .send(let bytes, let peer):
                do {
                    interpret(try session!.machine.sendOpaque(bytes, channel: .kvs, to: .node(peer), now: now), now: now)
                } catch {
                    log(.warning, "dropped a KVS message: \(error)")
                }
            case .respond(let token, let bytes):
                interpret(session!.machine.respond(to: token, payload: bytes, now: now), now: now)
            case .complete(let operation, let result):
                emit(.kvsCompleted(operation, result))
            }
        }
    }

    private mutating func deliver(_ incoming: IncomingMessage) {
        var replyID: UInt64?
        if let token = incoming.reply {
            replyID = session!.nextReplyID
            session!.nextReplyID += 1
            session!.replies[replyID!] = token
        }
        emit(.deliverMessage(incoming, replyID: replyID))
    }
}
