/// Identifies one operation a node's application started on the KVS.
public struct KVSClientOperationID: Hashable, Comparable, Sendable {
    /// Unique per coordinator, increasing from 1.
    public var rawValue: UInt64

    /// Creates an ID.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: KVSClientOperationID, rhs: KVSClientOperationID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a ``KVSCoordinator`` asks its shell to do.
public enum KVSNodeDirective: Equatable, Sendable {
    /// Send `bytes` as a request to the owner of ring position `position` (``NodeMachine/requestOpaque(_:channel:to:now:)``
    /// with `.kvs` and `.ownerOf(position)`); report how it ended with ``KVSCoordinator/ownerResponded(_:outcome:now:)``.
    case requestOwner([UInt8], position: NodeID, client: KVSClientOperationID)
    /// Send `bytes` one way to the node `to` (``NodeMachine/sendOpaque(_:channel:to:now:)`` with `.kvs`).
    case send([UInt8], to: NodeID)
    /// Answer the request behind `token` with `bytes` (``NodeMachine/respond(to:payload:now:)``).
    case respond(ReplyToken, [UInt8])
    /// An operation of this node's application finished.
    case complete(KVSClientOperationID, Result<KVSValue?, KVSError>)
}

/// The KVS of one node: sends the application's operations to the owners of their keys, serves the
/// operations that reach this node as an owner (it proposes them to the key's replicas with
/// ``KVSInstance``), replicates keys as an acceptor, and moves replicas when the ring around it changes
/// (joint configurations and repairs, `docs/kvs.md`). A pure state machine like ``NodeMachine``: calls in,
/// ``KVSNodeDirective``s out.
///
/// A client operation travels as a request to the owner of the key's ring position; the owner's replicas
/// are itself and its successors, its direct neighbours, so consensus costs one link per message. Node
/// machine retries of the request are recognised by the client's node and operation number: a retry of an
/// operation in progress is not started twice, one already answered gets the same answer again, and the
/// client's tag in the register stops a retry that reached a new owner from applying a change twice.
public struct KVSCoordinator: Sendable {
    /// The consensus state machine.
    public private(set) var instance: KVSInstance
    /// The ring around this node, as the KVS sees it.
    public private(set) var membership: KVSMembership
    /// Counters for monitoring and tests.
    public private(set) var statistics = Statistics()

    /// Counters for monitoring and tests.
    public struct Statistics: Equatable, Sendable {
        /// Operations this node served as an owner.
        public var operationsServed: UInt64 = 0
        /// Client retries that were answered from the cache or joined an operation in progress.
        public var duplicateRequests: UInt64 = 0
        /// Repairs that succeeded.
        public var repairsCompleted: UInt64 = 0
        /// KVS messages that could not be decoded.
        public var malformedMessages: UInt64 = 0
    }

    private struct ClientKey: Hashable, Sendable {
        var node: NodeID
        var operation: UInt64
    }

    private struct Answer: Sendable {
        var bytes: [UInt8]
        var expiry: MonotonicTime
    }

    private enum Purpose: Sendable {
        case serve(ClientKey, ReplyToken, KVSKey)
        case repair(KVSKey)
    }

    private struct Queued: Sendable {
        var request: KVSClientRequest
        var reply: ReplyToken
        var since: MonotonicTime
    }

    /// Answers remembered for client retries, and for how long.
    private static let answerLimit = 4096
    private var answerMilliseconds: UInt64
    /// Repairs running at once; more wait.
    private static let concurrentRepairs = 16
    /// Wait before retrying a failed repair.
    private static let repairRetryMilliseconds: UInt64 = 1_000

    private var random: SplitMix64
    private var nextClientOperation: UInt64 = 1
    private var clientOperations: Set<KVSClientOperationID> = []
    private var inProgress: [ClientKey: KVSOperationID] = [:]
    private var purposes: [KVSOperationID: Purpose] = [:]
    private var busyKeys: Set<KVSKey> = []
    private var queued: [ClientKey: Queued] = [:]
    private var queueOrder: [KVSKey: [ClientKey]] = [:]
    private var answers: [ClientKey: Answer] = [:]
    private var answerOrder: [ClientKey] = []
    private var repairsWaiting: Set<KVSKey> = []
    private var repairsRunning: Set<KVSKey> = []
    private var repairRetryAt: MonotonicTime?

    /// Creates the KVS of node `nodeID` started at `now`. `jointMilliseconds` is how long a ring change
    /// keeps the previous configuration in use (see ``jointMilliseconds(routing:kvs:)``); `randomSeed`
    /// seeds the consensus back-off.
    public init(
        nodeID: NodeID, settings: KVSSettings, jointMilliseconds: UInt64, timing: KVSTiming = KVSTiming(),
        randomSeed: UInt64, now: MonotonicTime
    ) {
        instance = KVSInstance(nodeID: nodeID, settings: settings, timing: timing)
        membership = KVSMembership(
            localID: nodeID, replicationFactor: Int(settings.replicationFactor), jointMilliseconds: jointMilliseconds,
            now: now)
        random = SplitMix64(seed: randomSeed)
        answerMilliseconds = UInt64(settings.operationTimeoutMilliseconds) * 3
    }

    /// A joint phase long enough for every node to learn of a change (a dead link is noticed within the
    /// link timeout, the ring settles within a few stabilisation rounds) and for operations started before
    /// it to end.
    public static func jointMilliseconds(routing: RoutingSettings, kvs: KVSSettings) -> UInt64 {
        UInt64(routing.linkTimeoutMilliseconds) + 3 * UInt64(routing.stabilizeIntervalMilliseconds)
            + UInt64(kvs.operationTimeoutMilliseconds)
    }

    /// Operations of this node's application still waiting for their owner.
    public var pendingClientOperations: Int { clientOperations.count }
    /// Repairs not yet done.
    public var pendingRepairs: Int { repairsWaiting.count + repairsRunning.count }

    // MARK: - Client

    /// Starts an application operation on `key`. Invalid input completes at once in the returned directives.
    public mutating func start(
        _ command: KVSCommand, key: KVSKey, now: MonotonicTime
    ) -> (operation: KVSClientOperationID, directives: [KVSNodeDirective]) {
        let id = KVSClientOperationID(nextClientOperation)
        nextClientOperation += 1
        let settings = instance.settings
        if key.utf8.count > Int(settings.maximumKeyBytes) {
            return (id, [.complete(id, .failure(.keyTooLarge(limit: settings.maximumKeyBytes)))])
        }
        switch command {
        case .repair:
            return (id, [.complete(id, .failure(.unavailable))])
        case .put(let bytes, _) where bytes.count > Int(settings.maximumValueBytes):
            return (id, [.complete(id, .failure(.valueTooLarge(limit: settings.maximumValueBytes)))])
        default:
            break
        }
        clientOperations.insert(id)
        let request = KVSEnvelope.request(KVSClientRequest(operation: id.rawValue, key: key, command: command))
        return (id, [.requestOwner(request.encoded(), position: KVSPlacement.position(ofKey: key), client: id)])
    }

    /// The request of operation `client` to its key's owner ended with `outcome`.
    public mutating func ownerResponded(
        _ client: KVSClientOperationID, outcome: RequestOutcome, now: MonotonicTime
    ) -> [KVSNodeDirective] {
        guard clientOperations.remove(client) != nil else { return [] }
        switch outcome {
        case .response(let bytes):
            guard let envelope = try? KVSEnvelope(decoding: bytes), case .response(let result) = envelope else {
                statistics.malformedMessages += 1
                return [.complete(client, .failure(.timeout))]
            }
            return [.complete(client, result)]
        case .failure(.timeout):
            // The owner may have applied it and its answer was lost.
            return [.complete(client, .failure(.timeout))]
        case .failure:
            // Not delivered to an owner (or refused before starting): nothing was applied.
            return [.complete(client, .failure(.unavailable))]
        }
    }

    // MARK: - Owner and replica

    /// A KVS message arrived from `sender`; `reply` is set when it is a request (a client's operation).
    public mutating func received(
        _ bytes: [UInt8], from sender: NodeID, reply: ReplyToken?, now: MonotonicTime
    ) -> [KVSNodeDirective] {
        guard let envelope = try? KVSEnvelope(decoding: bytes) else {
            statistics.malformedMessages += 1
            return []
        }
        var out: [KVSNodeDirective] = []
        switch envelope {
        case .consensus(let message):
            let directives = instance.receive(message, from: sender, now: now, using: &random)
            apply(directives, now: now, into: &out)
        case .request(let request):
            guard let reply else { return [] }
            serve(request, from: sender, reply: reply, now: now, into: &out)
        case .response:
            // Responses arrive as request outcomes, never as messages.
            statistics.malformedMessages += 1
        }
        return out
    }

    private mutating func serve(
        _ request: KVSClientRequest, from client: NodeID, reply: ReplyToken, now: MonotonicTime,
        into out: inout [KVSNodeDirective]
    ) {
        let clientKey = ClientKey(node: client, operation: request.operation)
        if let answer = answers[clientKey] {
            statistics.duplicateRequests += 1
            out.append(.respond(reply, answer.bytes))
            return
        }
        if let running = inProgress[clientKey] {
            // The retry carries the same request ID, so one answer serves both.
            statistics.duplicateRequests += 1
            if case .serve(_, _, let key) = purposes[running] { purposes[running] = .serve(clientKey, reply, key) }
            return
        }
        if case .repair = request.command {
            out.append(.respond(reply, KVSEnvelope.response(.failure(.unavailable)).encoded()))
            return
        }
        if queued[clientKey] != nil {
            statistics.duplicateRequests += 1
            queued[clientKey]?.reply = reply
            return
        }
        statistics.operationsServed += 1
        // One proposal per key at a time: concurrent proposals from one owner would only outbid each other.
        if busyKeys.contains(request.key) {
            queued[clientKey] = Queued(request: request, reply: reply, since: now)
            queueOrder[request.key, default: []].append(clientKey)
            return
        }
        propose(request, clientKey: clientKey, reply: reply, now: now, into: &out)
    }

    private mutating func propose(
        _ request: KVSClientRequest, clientKey: ClientKey, reply: ReplyToken, now: MonotonicTime,
        into out: inout [KVSNodeDirective]
    ) {
        busyKeys.insert(request.key)
        let replicas = membership.replicaSet(ofPosition: KVSPlacement.position(ofKey: request.key))
        let writer = KVSWriteTag(node: clientKey.node, operation: clientKey.operation)
        let (operation, directives) = instance.start(
            request.command, key: request.key, replicas: replicas, writer: writer, now: now, using: &random)
        inProgress[clientKey] = operation
        purposes[operation] = .serve(clientKey, reply, request.key)
        apply(directives, now: now, into: &out)
    }

    /// Starts the next queued operation on `key`, if any.
    private mutating func proposeNext(on key: KVSKey, now: MonotonicTime, into out: inout [KVSNodeDirective]) {
        busyKeys.remove(key)
        while var waiting = queueOrder[key], !waiting.isEmpty {
            let clientKey = waiting.removeFirst()
            queueOrder[key] = waiting.isEmpty ? nil : waiting
            guard let next = queued.removeValue(forKey: clientKey) else { continue }
            propose(next.request, clientKey: clientKey, reply: next.reply, now: now, into: &out)
            return
        }
    }

    // MARK: - Ring changes and timers

    /// The ring's successor or predecessor list changed.
    public mutating func neighboursChanged(
        successors: [NodeID], predecessors: [NodeID], now: MonotonicTime
    ) -> [KVSNodeDirective] {
        guard membership.update(successors: successors, predecessors: predecessors, now: now) else { return [] }
        scheduleRepairs()
        var out: [KVSNodeDirective] = []
        startRepairs(now: now, into: &out)
        return out
    }

    /// Advances timers: consensus re-sends and deadlines, repair retries, the end of joint phases.
    public mutating func tick(now: MonotonicTime) -> [KVSNodeDirective] {
        var out: [KVSNodeDirective] = []
        let directives = instance.tick(now: now, using: &random)
        apply(directives, now: now, into: &out)
        if let retry = repairRetryAt, now >= retry {
            repairRetryAt = nil
            startRepairs(now: now, into: &out)
        }
        if membership.isJoint, pendingRepairs == 0, membership.expire(now: now) {
            if membership.isJoint {
                // The configuration still in use moved: what it holds may need copying again.
                scheduleRepairs()
                startRepairs(now: now, into: &out)
            } else {
                forgetKeysNoLongerReplicated()
            }
        }
        expireQueued(now: now, into: &out)
        expireAnswers(now: now)
        return out
    }

    /// Fails operations that waited for their key longer than an operation may take: never started, so
    /// certainly not applied.
    private mutating func expireQueued(now: MonotonicTime, into out: inout [KVSNodeDirective]) {
        let limit = UInt64(instance.settings.operationTimeoutMilliseconds)
        for (clientKey, entry) in queued where now.milliseconds(since: entry.since) >= limit {
            queued[clientKey] = nil
            let bytes = KVSEnvelope.response(.failure(.unavailable)).encoded()
            remember(Answer(bytes: bytes, expiry: now.adding(milliseconds: answerMilliseconds)), for: clientKey)
            out.append(.respond(entry.reply, bytes))
        }
    }

    /// Every key this node holds whose replicas differ between the configurations in use.
    private mutating func scheduleRepairs() {
        guard membership.isJoint else { return }
        for key in instance.acceptorStates.keys {
            let position = KVSPlacement.position(ofKey: key)
            guard membership.covers(position),
                  membership.currentReplicas(ofPosition: position) != membership.previousReplicas(ofPosition: position)
            else { continue }
            if !repairsRunning.contains(key) { repairsWaiting.insert(key) }
        }
    }

    private mutating func startRepairs(now: MonotonicTime, into out: inout [KVSNodeDirective]) {
        guard repairRetryAt == nil else { return }
        // Sorted so that a simulation replays identically.
        for key in repairsWaiting.sorted() {
            guard repairsRunning.count < KVSCoordinator.concurrentRepairs else { break }
            repairsWaiting.remove(key)
            repairsRunning.insert(key)
            let replicas = membership.replicaSet(ofPosition: KVSPlacement.position(ofKey: key))
            let (operation, directives) = instance.start(.repair, key: key, replicas: replicas, now: now, using: &random)
            purposes[operation] = .repair(key)
            apply(directives, now: now, into: &out)
        }
    }

    private mutating func forgetKeysNoLongerReplicated() {
        let localID = membership.localID
        for key in instance.acceptorStates.keys {
            let position = KVSPlacement.position(ofKey: key)
            if !membership.covers(position) || !membership.currentReplicas(ofPosition: position).contains(localID) {
                instance.forget(key: key)
            }
        }
    }

    // MARK: - Consensus results

    private mutating func apply(_ directives: [KVSDirective], now: MonotonicTime, into out: inout [KVSNodeDirective]) {
        for directive in directives {
            switch directive {
            case .send(let message, let node):
                out.append(.send(KVSEnvelope.consensus(message).encoded(), to: node))
            case .complete(let operation, let result):
                completed(operation, result, now: now, into: &out)
            }
        }
    }

    private mutating func completed(
        _ operation: KVSOperationID, _ result: Result<KVSValue?, KVSError>, now: MonotonicTime,
        into out: inout [KVSNodeDirective]
    ) {
        guard let purpose = purposes.removeValue(forKey: operation) else { return }
        switch purpose {
        case .serve(let clientKey, let reply, let key):
            inProgress[clientKey] = nil
            let bytes = KVSEnvelope.response(result).encoded()
            remember(Answer(bytes: bytes, expiry: now.adding(milliseconds: answerMilliseconds)), for: clientKey)
            out.append(.respond(reply, bytes))
            proposeNext(on: key, now: now, into: &out)
        case .repair(let key):
            repairsRunning.remove(key)
            if case .success = result {
                statistics.repairsCompleted += 1
            } else {
                repairsWaiting.insert(key)
                if repairRetryAt == nil { repairRetryAt = now.adding(milliseconds: KVSCoordinator.repairRetryMilliseconds) }
            }
            startRepairs(now: now, into: &out)
        }
    }

    private mutating func remember(_ answer: Answer, for key: ClientKey) {
        if answers.updateValue(answer, forKey: key) == nil { answerOrder.append(key) }
        if answerOrder.count > KVSCoordinator.answerLimit {
            answers[answerOrder.removeFirst()] = nil
        }
    }

    private mutating func expireAnswers(now: MonotonicTime) {
        var expired = 0
        for key in answerOrder {
            guard let answer = answers[key], answer.expiry > now else {
                answers[key] = nil
                expired += 1
                continue
            }
            break
        }
        if expired > 0 { answerOrder.removeFirst(expired) }
    }
}
