/// Interpreting the state machines' directives: the browser counterpart of `ColonioNode+Directives.swift`.
extension BrowserNode {
    mutating func interpret(_ directives: [NodeDirective], now: MonotonicTime, out: inout ShellOutput) {
        for directive in directives {
            guard session != nil else { return }
            switch directive {
            case .connect(let peer):
                openLink(to: peer, now: now, out: &out)
            case .disconnect(let peer):
                if let link = session!.links.removeValue(forKey: peer) { emitClose(link, out: &out) }
            case .transmit(let bytes, let peer):
                guard let link = session!.links[peer] else { continue }
                out.emit(.linkSend) {
                    $0.write(field: 1, nodeID: peer)
                    $0.write(field: 2, uint64: link.sessionID)
                    $0.write(field: 3, bytes: [LinkFrame.overlay] + bytes)
                }
            case .deliverMessage(let message), .deliverRequest(let message):
                deliver(message, out: &out)
            case .requestCompleted(let requestID, let outcome):
                if let operation = session!.kvsRequests.removeValue(forKey: requestID) {
                    interpret(session!.kvs.ownerResponded(operation, outcome: outcome, now: now), now: now, out: &out)
                } else if session!.applicationRequests.remove(requestID) != nil {
                    requestDone(requestID, outcome, out: &out)
                }
            case .deliverSignal(let payload, let from):
                receiveSignal(payload, from: from, viaSeed: false, now: now, out: &out)
            case .deliverSpread(let incoming):
                interpret(session!.geo.receive(incoming.bytes, from: incoming.source, now: now), now: now, out: &out)
            case .deliverKVS(let incoming):
                interpret(
                    session!.kvs.received(incoming.bytes, from: incoming.source, reply: incoming.reply, now: now),
                    now: now, out: &out)
            case .peerLost(let peer):
                interpret(session!.geo.nodeLeft(peer, now: now), now: now, out: &out)
            case .neighboursChanged(let successors, let predecessors):
                // Ring neighbours are reachable: a starting point for finding geographic neighbours.
                interpret(session!.geo.discovered(successors + predecessors, now: now), now: now, out: &out)
                guard session != nil else { return }
                interpret(
                    session!.kvs.neighboursChanged(successors: successors, predecessors: predecessors, now: now),
                    now: now, out: &out)
            }
        }
    }

    mutating func interpret(_ directives: [GeoDirective], now: MonotonicTime, out: inout ShellOutput) {
        for directive in directives {
            guard session != nil else { return }
            switch directive {
            case .send(let bytes, let peer):
                do {
                    let sent = try session!.machine.sendOpaque(bytes, channel: .spread, to: .node(peer), now: now)
                    interpret(sent, now: now, out: &out)
                } catch {
                    out.log("dropped a pub/sub packet: \(error)")
                }
            case .deliver(let delivery):
                out.emit(.spread) {
                    $0.write(field: 1, string: delivery.topic)
                    $0.write(field: 2, bytes: delivery.payload)
                    $0.write(field: 3, nodeID: delivery.sender)
                    $0.write(field: 4, double: delivery.senderPosition.x)
                    $0.write(field: 5, double: delivery.senderPosition.y)
                    $0.write(field: 6, double: delivery.center.x)
                    $0.write(field: 7, double: delivery.center.y)
                    $0.write(field: 8, double: delivery.radius)
                    $0.write(field: 9, uint64: UInt64(delivery.hops))
                }
            case .wantNeighbours(let peers):
                interpret(session!.machine.setAuxiliaryLinks(peers, now: now), now: now, out: &out)
            case .publishSucceeded(let id):
                if let shellID = session!.publications.removeValue(forKey: id) { publishDone(shellID, error: nil, out: &out) }
            case .publishFailed(let id, let error):
                if let shellID = session!.publications.removeValue(forKey: id) { publishDone(shellID, error: error, out: &out) }
            }
        }
    }

    mutating func interpret(_ directives: [KVSNodeDirective], now: MonotonicTime, out: inout ShellOutput) {
        for directive in directives {
            guard session != nil else { return }
            switch directive {
            case .requestOwner(let bytes, let position, let operation):
                do {
                    let started = try session!.machine.requestOpaque(bytes, channel: .kvs, to: .ownerOf(position), now: now)
                    session!.kvsRequests[started.requestID] = operation
                    interpret(started.directives, now: now, out: &out)
                } catch {
                    interpret(session!.kvs.ownerResponded(operation, outcome: .failure(.unreachable), now: now), now: now, out: &out)
                }
            case .send(let bytes, let peer):
                do {
                    interpret(try session!.machine.sendOpaque(bytes, channel: .kvs, to: .node(peer), now: now), now: now, out: &out)
                } catch {
                    out.log("dropped a KVS message: \(error)")
                }
            case .respond(let token, let bytes):
                interpret(session!.machine.respond(to: token, payload: bytes, now: now), now: now, out: &out)
            case .complete(let operation, let result):
                out.emit(.kvsDone) {
                    $0.write(field: 1, uint64: operation.rawValue)
                    switch result {
                    case .success(let value):
                        $0.write(field: 2, bool: true)
                        if let value {
                            $0.write(field: 3, bool: true)
                            $0.write(field: 4, bytes: value.bytes)
                            $0.write(field: 5, uint64: value.version)
                        }
                    case .failure(let error):
                        switch error {
                        case .conditionFailed(let version):
                            $0.write(field: 6, string: "conditionFailed")
                            $0.write(field: 7, uint64: version.map { $0 + 1 } ?? 0)
                        case .unavailable: $0.write(field: 6, string: "unavailable")
                        case .timeout: $0.write(field: 6, string: "timeout")
                        case .valueTooLarge(let limit):
                            $0.write(field: 6, string: "valueTooLarge")
                            $0.write(field: 7, uint64: UInt64(limit))
                        case .keyTooLarge(let limit):
                            $0.write(field: 6, string: "keyTooLarge")
                            $0.write(field: 7, uint64: UInt64(limit))
                        }
                    }
                }
            }
        }
    }

    private mutating func deliver(_ incoming: IncomingMessage, out: inout ShellOutput) {
        var replyID: UInt64 = 0
        if let token = incoming.reply {
            replyID = session!.nextReplyID
            session!.nextReplyID += 1
            session!.replies[replyID] = token
        }
        out.emit(.message) {
            $0.write(field: 1, nodeID: incoming.source)
            $0.write(field: 2, string: incoming.name)
            $0.write(field: 3, bytes: incoming.payload)
            $0.write(field: 4, uint64: UInt64(incoming.hopCount))
            if replyID != 0 { $0.write(field: 5, uint64: replyID) }
        }
    }

    func requestDone(_ id: UInt64, _ outcome: RequestOutcome, out: inout ShellOutput) {
        out.emit(.requestDone) {
            $0.write(field: 1, uint64: id)
            switch outcome {
            case .response(let bytes):
                $0.write(field: 2, bool: true)
                $0.write(field: 3, bytes: bytes)
            case .failure(let failure):
                let (kind, detail): (String, String) = switch failure {
                case .timeout: ("timeout", "no response after every retry")
                case .unreachable: ("unreachable", "no node with that ID is on the ring")
                case .noHandler: ("noHandler", "the destination has no handler for that name")
                case .hopLimitExceeded: ("hopLimitExceeded", "the request exceeded the hop limit")
                case .messageTooLarge: ("messageTooLarge", "the message exceeded the network's size limit")
                case .unsupported: ("unsupported", "the destination does not understand the request")
                case .handlerFailed(let why): ("handlerFailed", why)
                case .networkClosed: ("networkClosed", "the node disconnected")
                }
                $0.write(field: 4, string: kind)
                $0.write(field: 5, string: detail)
            }
        }
    }

    func publishDone(_ id: UInt64, error: SpreadError?, out: inout ShellOutput) {
        out.emit(.publishDone) {
            $0.write(field: 1, uint64: id)
            if let error { $0.write(field: 2, string: BrowserNode.kind(of: error)) }
        }
    }
}

/// The one-byte types that prefix frames on a link (as `LinkFrameType` in the native node).
enum LinkFrame {
    static let hello: UInt8 = 0
    static let overlay: UInt8 = 1
}
