/// The replicated key-value store's consensus on one node: a CASPaxos proposer for the operations its
/// clients start and an acceptor for the keys it replicates. Pure state machine: inputs are method calls,
/// outputs are ``KVSDirective``s; time arrives as `now`, randomness as a generator.
///
/// Each key is one Paxos register. An operation is a change function (``KVSCommand``) applied to the
/// register: the proposer sends `prepare` with a fresh ballot to the key's replicas, takes the register with
/// the highest accepted ballot from a quorum of promises, applies the command and sends the result as
/// `accept`; a quorum of `accepted` completes it. A read whose quorum of promises all report the same
/// accepted ballot completes after one round trip (that register is already chosen). Conflicts are retried
/// with a higher ballot after a random back-off. The shell supplies the replica set of each key from the
/// ring (``KVSPlacement``) when it starts an operation.
public struct KVSInstance: Sendable {
    /// This node.
    public let nodeID: NodeID
    /// Limits and the operation timeout.
    public var settings: KVSSettings
    /// Retransmission and back-off timers.
    public var timing: KVSTiming
    /// The acceptor state of every key this node has been asked about.
    public private(set) var acceptorStates: [KVSKey: KVSAcceptorState] = [:]

    private var proposals: [UInt64: Proposal] = [:]
    private var operationByRequest: [UInt64: UInt64] = [:]
    private var nextOperation: UInt64 = 1
    private var nextRequest: UInt64 = 1
    private var lastCounter: UInt64 = 0
    private var ballotFloors: [KVSKey: UInt64] = [:]
    private var loopback: [KVSMessage] = []

    /// Creates the instance of node `nodeID`.
    public init(nodeID: NodeID, settings: KVSSettings = KVSSettings(), timing: KVSTiming = KVSTiming()) {
        self.nodeID = nodeID
        self.settings = settings
        self.timing = timing
    }

    /// Operations started and not yet completed.
    public var pendingOperationCount: Int { proposals.count }

    /// The earliest time ``tick(now:using:)`` has something to do, `nil` when idle. Ticking earlier or
    /// more often is harmless.
    public var nextWakeTime: MonotonicTime? {
        var earliest: MonotonicTime?
        for proposal in proposals.values {
            var wake = proposal.deadline
            switch proposal.stage {
            case .backingOff(let until): wake = min(wake, until)
            case .preparing, .accepting: wake = min(wake, proposal.stageDeadline)
            }
            earliest = earliest.map { min($0, wake) } ?? wake
        }
        return earliest
    }

    // MARK: - Inputs

    /// Starts a client operation on `key`, whose replicas the ring reports as `replicas`.
    ///
    /// `writer` names the operation in the registers it writes; by default this node and the operation's
    /// number. A shell that may start the same client operation on several proposers (a client retrying
    /// after the key's owner changed) passes the client's own tag: a proposer that finds the tag in the
    /// register reports that write instead of applying the change a second time.
    ///
    /// Invalid input completes at once (in the returned directives) with `.keyTooLarge`, `.valueTooLarge`
    /// or, for an empty replica set, `.unavailable`.
    public mutating func start<Generator: RandomNumberGenerator>(
        _ command: KVSCommand, key: KVSKey, replicas: KVSReplicaSet, writer: KVSWriteTag? = nil, now: MonotonicTime,
        using generator: inout Generator
    ) -> (operation: KVSOperationID, directives: [KVSDirective]) {
        let id = nextOperation
        nextOperation += 1
        let operation = KVSOperationID(id)
        if key.utf8.count > Int(settings.maximumKeyBytes) {
            return (operation, [.complete(operation, .failure(.keyTooLarge(limit: settings.maximumKeyBytes)))])
        }
        if case .put(let bytes, _) = command, bytes.count > Int(settings.maximumValueBytes) {
            return (operation, [.complete(operation, .failure(.valueTooLarge(limit: settings.maximumValueBytes)))])
        }
        if replicas.isEmpty {
            return (operation, [.complete(operation, .failure(.unavailable))])
        }
        var proposal = Proposal(
            id: id, key: key, command: command, replicas: replicas,
            writer: writer ?? KVSWriteTag(node: nodeID, operation: id), externallyTagged: writer != nil,
            deadline: now.adding(milliseconds: UInt64(settings.operationTimeoutMilliseconds)))
        var directives: [KVSDirective] = []
        beginAttempt(&proposal, now: now, into: &directives)
        proposals[id] = proposal
        drainLoopback(now: now, using: &generator, into: &directives)
        return (operation, directives)
    }

    /// Handles a KVS message that arrived from `sender`.
    public mutating func receive<Generator: RandomNumberGenerator>(
        _ message: KVSMessage, from sender: NodeID, now: MonotonicTime, using generator: inout Generator
    ) -> [KVSDirective] {
        var directives: [KVSDirective] = []
        handle(message, from: sender, now: now, using: &generator, into: &directives)
        drainLoopback(now: now, using: &generator, into: &directives)
        return directives
    }

    /// Advances timers: re-sends, retries after back-off, and fails operations past their deadline
    /// (`.unavailable` if the operation never sent a write, `.timeout` if it may have been applied).
    public mutating func tick<Generator: RandomNumberGenerator>(
        now: MonotonicTime, using generator: inout Generator
    ) -> [KVSDirective] {
        var directives: [KVSDirective] = []
        // Sorted so a simulation replays identically whatever the process's hash seed.
        for id in proposals.keys.sorted() {
            guard var proposal = proposals[id] else { continue }
            if now >= proposal.deadline {
                finish(proposal, proposal.lowestWrittenVersion == nil ? .failure(.unavailable) : .failure(.timeout),
                       into: &directives)
                continue
            }
            switch proposal.stage {
            case .backingOff(let until):
                guard now >= until else { continue }
                beginAttempt(&proposal, now: now, into: &directives)
            case .preparing, .accepting:
                guard now >= proposal.stageDeadline else { continue }
                if proposal.retransmissions < timing.retransmissionsPerAttempt {
                    proposal.retransmissions += 1
                    proposal.stageDeadline = now.adding(milliseconds: timing.phaseTimeoutMilliseconds)
                    for replica in proposal.replicas.all where !proposal.responders.contains(replica) {
                        send(proposal.currentMessage, to: replica, into: &directives)
                    }
                } else {
                    beginAttempt(&proposal, now: now, into: &directives)
                }
            }
            proposals[id] = proposal
        }
        drainLoopback(now: now, using: &generator, into: &directives)
        return directives
    }

    /// Forgets every operation in flight without completing it, as a process crash would; acceptor state
    /// and ballot counters stay (they model durable storage, which Paxos needs to stay safe).
    public mutating func abandonOperations() {
        proposals.removeAll()
        operationByRequest.removeAll()
        loopback.removeAll()
    }

    /// Drops this node's acceptor state for `key`, once the node is no longer among its replicas and the
    /// membership change that moved the key has completed (see `docs/kvs.md`).
    public mutating func forget(key: KVSKey) {
        acceptorStates[key] = nil
        ballotFloors[key] = nil
    }

    // MARK: - Acceptor

    private mutating func handle<Generator: RandomNumberGenerator>(
        _ message: KVSMessage, from sender: NodeID, now: MonotonicTime, using generator: inout Generator,
        into directives: inout [KVSDirective]
    ) {
        guard message.key.utf8.count <= Int(settings.maximumKeyBytes) else { return }
        switch message {
        case .prepare(let key, let request, let ballot):
            var state = acceptorStates[key] ?? KVSAcceptorState()
            if ballot >= state.promised {
                state.promised = ballot
                acceptorStates[key] = state
                send(.promise(key: key, request: request, ballot: ballot, accepted: state.accepted,
                              register: state.register), to: sender, into: &directives)
            } else {
                send(.reject(key: key, request: request, ballot: ballot, promised: state.promised),
                     to: sender, into: &directives)
            }
        case .accept(let key, let request, let ballot, let register):
            guard (register.bytes?.count ?? 0) <= Int(settings.maximumValueBytes) else { return }
            var state = acceptorStates[key] ?? KVSAcceptorState()
            if ballot >= state.promised {
                state = KVSAcceptorState(promised: ballot, accepted: ballot, register: register)
                acceptorStates[key] = state
                send(.accepted(key: key, request: request, ballot: ballot), to: sender, into: &directives)
            } else {
                send(.reject(key: key, request: request, ballot: ballot, promised: state.promised),
                     to: sender, into: &directives)
            }
        case .promise(let key, let request, let ballot, let accepted, let register):
            raiseFloor(of: key, to: accepted.counter)
            guard var proposal = matchingProposal(request: request, ballot: ballot, from: sender),
                  case .preparing = proposal.stage else { return }
            if proposal.responders.isEmpty {
                proposal.highestBallot = accepted
                proposal.highestRegister = register
                proposal.commonBallot = accepted
            } else {
                if accepted != proposal.commonBallot { proposal.commonBallot = nil }
                if accepted > proposal.highestBallot {
                    proposal.highestBallot = accepted
                    proposal.highestRegister = register
                }
            }
            proposal.responders.insert(sender)
            if proposal.replicas.isQuorum(proposal.responders) {
                decide(&proposal, now: now, into: &directives)
            } else {
                proposals[proposal.id] = proposal
            }
        case .accepted(_, let request, let ballot):
            guard var proposal = matchingProposal(request: request, ballot: ballot, from: sender),
                  case .accepting = proposal.stage else { return }
            proposal.responders.insert(sender)
            if proposal.replicas.isQuorum(proposal.responders) {
                finish(proposal, proposal.result, into: &directives)
            } else {
                proposals[proposal.id] = proposal
            }
        case .reject(let key, let request, let ballot, let promised):
            raiseFloor(of: key, to: promised.counter)
            guard var proposal = matchingProposal(request: request, ballot: ballot, from: sender) else { return }
            if case .backingOff = proposal.stage { return }
            proposal.refusers.insert(sender)
            if !proposal.replicas.isQuorumPossible(excluding: proposal.refusers) {
                let ceiling = min(
                    timing.backoffLimitMilliseconds,
                    timing.backoffBaseMilliseconds << UInt64(min(proposal.attempts, 16)))
                // The first refusal usually means this node had not seen the key's recent ballots yet, not
                // that another proposer is competing: retry at once, with the counter raised past them.
                let delay = proposal.attempts == 1 ? 0 : UInt64.random(in: 1...max(ceiling, 1), using: &generator)
                proposal.stage = .backingOff(until: now.adding(milliseconds: delay))
                operationByRequest[proposal.request] = nil
            }
            proposals[proposal.id] = proposal
        }
    }

    // MARK: - Proposer

    private mutating func beginAttempt(
        _ proposal: inout Proposal, now: MonotonicTime, into directives: inout [KVSDirective]
    ) {
        proposal.attempts += 1
        let seen = max(lastCounter, ballotFloors[proposal.key] ?? 0,
                       acceptorStates[proposal.key]?.promised.counter ?? 0)
        // Saturates instead of trapping: a hostile counter of UInt64.max can stall a key, never crash.
        let counter = seen == .max ? seen : seen + 1
        lastCounter = counter
        proposal.ballot = KVSBallot(counter: counter, node: nodeID)
        proposal.stage = .preparing
        proposal.resetPhase(request: allocateRequest(for: proposal), deadline: stageDeadline(now))
        for replica in proposal.replicas.all {
            send(proposal.currentMessage, to: replica, into: &directives)
        }
    }

    /// Called once a quorum promised: computes the register to write and the client's result.
    private mutating func decide(
        _ proposal: inout Proposal, now: MonotonicTime, into directives: inout [KVSDirective]
    ) {
        let current = proposal.highestRegister
        let writer = proposal.writer
        var next: KVSRegister
        var result: Result<KVSValue?, KVSError>
        if proposal.lowestWrittenVersion != nil || proposal.externallyTagged,
           let version = current.version(writtenBy: writer) {
            // An earlier attempt's write (this proposer's or, for a client's tag, any proposer's) took
            // effect: finish that one instead of applying the change twice.
            next = current
            if case .put(let bytes, _) = proposal.command {
                result = .success(KVSValue(bytes: bytes, version: version))
            } else {
                result = .success(nil)
            }
        } else if let writtenVersion = proposal.lowestWrittenVersion,
                  current.version >= writtenVersion, current.oldestKnownWriteVersion > writtenVersion {
            // The register moved on too far to tell whether the earlier write happened.
            finish(proposal, .failure(.timeout), into: &directives)
            return
        } else {
            (next, result) = current.applying(proposal.command, by: writer)
            if next.version != current.version {
                proposal.lowestWrittenVersion = min(proposal.lowestWrittenVersion ?? next.version, next.version)
            }
        }
        if proposal.command != .repair, next == current, proposal.commonBallot != nil {
            // A quorum holds the same accepted ballot, so `current` is already chosen: nothing to write.
            finish(proposal, result, into: &directives)
            return
        }
        proposal.stage = .accepting
        proposal.proposed = next
        proposal.result = result
        operationByRequest[proposal.request] = nil
        proposal.resetPhase(request: allocateRequest(for: proposal), deadline: stageDeadline(now))
        proposals[proposal.id] = proposal
        for replica in proposal.replicas.all {
            send(proposal.currentMessage, to: replica, into: &directives)
        }
    }

    private func stageDeadline(_ now: MonotonicTime) -> MonotonicTime {
        now.adding(milliseconds: timing.phaseTimeoutMilliseconds)
    }

    private mutating func allocateRequest(for proposal: Proposal) -> UInt64 {
        operationByRequest[proposal.request] = nil
        let request = nextRequest
        nextRequest += 1
        operationByRequest[request] = proposal.id
        return request
    }

    private func matchingProposal(request: UInt64, ballot: KVSBallot, from sender: NodeID) -> Proposal? {
        guard let id = operationByRequest[request], let proposal = proposals[id], proposal.request == request,
              proposal.ballot == ballot, proposal.replicas.all.contains(sender) else { return nil }
        return proposal
    }

    private mutating func raiseFloor(of key: KVSKey, to counter: UInt64) {
        if counter > (ballotFloors[key] ?? 0) { ballotFloors[key] = counter }
    }

    private mutating func finish(
        _ proposal: Proposal, _ result: Result<KVSValue?, KVSError>, into directives: inout [KVSDirective]
    ) {
        proposals[proposal.id] = nil
        operationByRequest[proposal.request] = nil
        directives.append(.complete(KVSOperationID(proposal.id), result))
    }

    private mutating func send(_ message: KVSMessage, to node: NodeID, into directives: inout [KVSDirective]) {
        if node == nodeID {
            loopback.append(message)
        } else {
            directives.append(.send(message, to: node))
        }
    }

    private mutating func drainLoopback<Generator: RandomNumberGenerator>(
        now: MonotonicTime, using generator: inout Generator, into directives: inout [KVSDirective]
    ) {
        var index = 0
        while index < loopback.count {
            let message = loopback[index]
            index += 1
            handle(message, from: nodeID, now: now, using: &generator, into: &directives)
        }
        loopback.removeAll(keepingCapacity: true)
    }
}

/// One operation in flight on its proposer.
private struct Proposal: Sendable {
    enum Stage: Sendable {
        case preparing
        case accepting
        case backingOff(until: MonotonicTime)
    }

    let id: UInt64
    let key: KVSKey
    let command: KVSCommand
    let replicas: KVSReplicaSet
    /// The tag this operation's writes carry.
    let writer: KVSWriteTag
    /// Whether ``writer`` came from the client (it may have been written by another proposer before).
    let externallyTagged: Bool
    let deadline: MonotonicTime
    var ballot = KVSBallot.zero
    var request: UInt64 = 0
    var stage = Stage.preparing
    var stageDeadline = MonotonicTime.zero
    var attempts = 0
    var retransmissions = 0
    var responders: Set<NodeID> = []
    var refusers: Set<NodeID> = []
    var highestBallot = KVSBallot.zero
    var highestRegister = KVSRegister.empty
    /// The accepted ballot every promise so far reported, `nil` once two differ.
    var commonBallot: KVSBallot?
    var proposed = KVSRegister.empty
    var result: Result<KVSValue?, KVSError> = .success(nil)
    /// The lowest version an accept of this operation ever carried as its own write; `nil` if none did.
    var lowestWrittenVersion: UInt64?

    init(
        id: UInt64, key: KVSKey, command: KVSCommand, replicas: KVSReplicaSet, writer: KVSWriteTag,
        externallyTagged: Bool, deadline: MonotonicTime
    ) {
        self.id = id
        self.key = key
        self.command = command
        self.replicas = replicas
        self.writer = writer
        self.externallyTagged = externallyTagged
        self.deadline = deadline
    }

    mutating func resetPhase(request: UInt64, deadline: MonotonicTime) {
        self.request = request
        stageDeadline = deadline
        retransmissions = 0
        responders = []
        refusers = []
    }

    var currentMessage: KVSMessage {
        switch stage {
        case .preparing, .backingOff:
            return .prepare(key: key, request: request, ballot: ballot)
        case .accepting:
            return .accept(key: key, request: request, ballot: ballot, register: proposed)
        }
    }
}
