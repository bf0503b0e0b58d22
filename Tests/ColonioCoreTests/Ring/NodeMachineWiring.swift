import Testing
@testable import ColonioCore

/// A few node machines wired together by hand: connects open at once, frames arrive in order at the
/// current time. Enough to test one machine's behaviour; the simulator covers large networks.
struct NodeMachineWiring {
    var machines: [NodeID: NodeMachine] = [:]
    var links: Set<[NodeID]> = []
    var frames: [(bytes: [UInt8], from: NodeID, to: NodeID)] = []
    var seen: [(node: NodeID, directive: NodeDirective)] = []
    var now = MonotonicTime.zero
    /// Frames to these nodes are lost.
    var dropFramesTo: Set<NodeID> = []
    /// Frames over these directed links (from, to) are lost.
    var dropFramesOn: Set<[NodeID]> = []
    /// Crashed nodes: they neither tick nor receive, and send nothing; their links stay open.
    var crashed: Set<NodeID> = []
    /// Paused nodes: they do not tick, and frames to them wait until they resume.
    var paused: Set<NodeID> = []
    var waiting: [(bytes: [UInt8], from: NodeID, to: NodeID)] = []

    init(settings: RoutingSettings = RoutingSettings(), ids: [NodeID]) {
        for id in ids {
            var machine = NodeMachine(settings: settings)
            machine.registerHandler("echo")
            machines[id] = machine
        }
    }

    static func key(_ a: NodeID, _ b: NodeID) -> [NodeID] { [Swift.min(a, b), Swift.max(a, b)] }

    mutating func start(_ id: NodeID, peers: [NodeID]) {
        let directives = machines[id]!.start(localID: id, bootstrapPeers: peers, now: now)
        perform(directives, at: id)
        flush()
    }

    mutating func perform(_ directives: [NodeDirective], at id: NodeID) {
        guard !crashed.contains(id) else { return }
        for directive in directives {
            seen.append((id, directive))
            switch directive {
            case .connect(let peer):
                // A crashed node never answers: the connect times out in the ring.
                guard machines[peer] != nil, !crashed.contains(peer), !links.contains(Self.key(id, peer)) else { continue }
                links.insert(Self.key(id, peer))
                perform(machines[id]!.linkOpened(peer, now: now), at: id)
                perform(machines[peer]!.linkOpened(id, now: now), at: peer)
            case .disconnect(let peer):
                if links.remove(Self.key(id, peer)) != nil, !crashed.contains(peer) {
                    perform(machines[peer]!.linkClosed(id, now: now), at: peer)
                }
            case .transmit(let bytes, let peer):
                if links.contains(Self.key(id, peer)) && !dropFramesTo.contains(peer) && !crashed.contains(peer)
                    && !dropFramesOn.contains([id, peer])
                {
                    frames.append((bytes, id, peer))
                }
            case .deliverRequest(let message):
                if let token = message.reply, message.name == "echo" {
                    perform(machines[id]!.respond(to: token, payload: message.payload, now: now), at: id)
                }
            default:
                break
            }
        }
    }

    mutating func flush(limit: Int = 100_000) {
        var handled = 0
        while !frames.isEmpty, handled < limit {
            let frame = frames.removeFirst()
            handled += 1
            if paused.contains(frame.to) {
                waiting.append(frame)
                continue
            }
            let directives = machines[frame.to]!.received(frame.bytes, from: frame.from, now: now)
            perform(directives, at: frame.to)
        }
    }

    mutating func advance(to time: UInt64, step: UInt64 = 250) {
        while now.milliseconds < time {
            now = now.adding(milliseconds: Swift.min(step, time - now.milliseconds))
            for id in machines.keys.sorted() where !crashed.contains(id) && !paused.contains(id) {
                perform(machines[id]!.tick(now: now), at: id)
            }
            flush()
        }
    }

    /// Resumes a paused node: it ticks first (as a process would on waking), then reads what waited.
    mutating func resume(_ id: NodeID) {
        paused.remove(id)
        perform(machines[id]!.tick(now: now), at: id)
        let queued = waiting.filter { $0.to == id }
        waiting.removeAll { $0.to == id }
        frames.insert(contentsOf: queued, at: 0)
        flush()
    }

    /// Whether `node` closed its link to `peer` (a disconnect directive) since `seen` was last cleared.
    func disconnected(_ node: NodeID, from peer: NodeID) -> Bool {
        seen.contains { $0.node == node && $0.directive == .disconnect(peer) }
    }

    func outcomes(at node: NodeID) -> [UInt64: RequestOutcome] {
        var result: [UInt64: RequestOutcome] = [:]
        for (id, directive) in seen where id == node {
            if case .requestCompleted(let requestID, let outcome) = directive { result[requestID] = outcome }
        }
        return result
    }

    func messages(at node: NodeID) -> [IncomingMessage] {
        seen.compactMap { id, directive in
            guard id == node else { return nil }
            switch directive {
            case .deliverMessage(let message), .deliverRequest(let message): return message
            default: return nil
            }
        }
    }
}
