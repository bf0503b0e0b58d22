import ArgumentParser
import ColonioCore
import ColonioSimulator

/// `colonio bench kvs`: the KVS consensus in simulation — many nodes' `KVSInstance`s on a virtual
/// network with random delays — reporting throughput and messages per operation.
struct KVSSimulationBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "kvs-simulation",
        abstract: "KVS consensus in simulation: throughput, messages and latency per operation."
    )

    @Option(help: "Nodes on the ring.") var nodes = 1_000
    @Option(help: "Concurrent clients, each waiting for its previous operation.") var clients = 100
    @Option(help: "Operations in total.") var operations = 50_000
    @Option(help: "Distinct keys.") var keys = 1_000
    @Option(help: "Percent of operations that are gets (the rest: puts 3/4, deletes 1/4).") var getPercent = 50
    @Option(help: "Percent of messages lost.") var lossPercent = 0
    @Option(help: "Largest one-way message delay in virtual milliseconds (smallest: 1).") var maximumDelay: UInt64 = 40
    @Option(help: "Random seed.") var seed: UInt64 = 1

    @OptionGroup var output: BenchOutputOptions

    /// The benchmark's figures as one JSON object.
    func figures() -> String {
        var simulation = KVSBenchNetwork(
            nodeCount: nodes, clientCount: clients, operationCount: operations, keyCount: keys,
            getPercent: getPercent, lossPercent: lossPercent, maximumDelay: maximumDelay, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        simulation.run()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let figures = simulation.figures
        let fields: [(String, String)] = [
            ("benchmark", "\"kvs-simulation\""), ("cores", "\(ProcessStatus.allowedCores())"),
            ("nodes", "\(nodes)"), ("clients", "\(clients)"), ("operations", "\(operations)"),
            ("keys", "\(keys)"), ("replication_factor", "3"), ("get_percent", "\(getPercent)"),
            ("loss_percent", "\(lossPercent)"), ("delay_ms", "\"1-\(maximumDelay)\""),
            ("succeeded", "\(figures.succeeded)"), ("condition_failed", "\(figures.conditionFailed)"),
            ("failed", "\(figures.failed)"),
            ("messages_per_operation", format(Double(figures.messages) / Double(operations))),
            ("messages_per_get", format(Double(figures.getMessages) / Double(max(figures.gets, 1)))),
            ("messages_per_write", format(Double(figures.writeMessages) / Double(max(figures.writes, 1)))),
            ("virtual_seconds", format(Double(figures.virtualMilliseconds) / 1000)),
            ("virtual_operations_per_second",
             format(Double(operations) / (Double(figures.virtualMilliseconds) / 1000))),
            ("latency_p50_virtual_ms", "\(figures.percentile(50))"),
            ("latency_p99_virtual_ms", "\(figures.percentile(99))"),
            ("wall_seconds", format(seconds)),
            ("cpu_operations_per_second", format(Double(operations) / seconds)),
            ("cpu_messages_per_second", format(Double(figures.messages) / seconds)),
        ]
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    private func format(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return "\(scaled)"
    }
}

/// A deterministic virtual network for the benchmark: every client operation starts on a random node,
/// messages go through the wire codec with random delay and optional loss.
private struct KVSBenchNetwork {
    struct Figures {
        var succeeded = 0
        var conditionFailed = 0
        var failed = 0
        var messages = 0
        var gets = 0
        var writes = 0
        var getMessages = 0
        var writeMessages = 0
        var virtualMilliseconds: UInt64 = 0
        var latencies: [UInt64] = []

        func percentile(_ percent: Double) -> UInt64 {
            latencies.sorted().nearestRankPercentile(percent) ?? 0
        }
    }

    private enum Event {
        case deliver(KVSMessage, from: Int, to: Int)
        case tick(Int)
        case client(Int)
    }

    private struct Running {
        var client: Int
        var started: UInt64
        var isGet: Bool
        var key: KVSKey
    }

    let clientCount: Int
    let operationCount: Int
    let getPercent: Int
    let lossPercent: Int
    let maximumDelay: UInt64
    private(set) var figures = Figures()
    private var random: SplitMix64
    private var ids: [NodeID]
    private var index: [NodeID: Int] = [:]
    private var instances: [KVSInstance]
    private var keys: [KVSKey]
    private var replicas: [KVSReplicaSet]
    private var queue = EventQueue<Event>()
    private var now: UInt64 = 0
    private var issued = 0
    private var tickAt: [UInt64?]
    private var running: [Int: [KVSOperationID: Running]] = [:]

    init(
        nodeCount: Int, clientCount: Int, operationCount: Int, keyCount: Int, getPercent: Int, lossPercent: Int,
        maximumDelay: UInt64, seed: UInt64
    ) {
        self.clientCount = clientCount
        self.operationCount = operationCount
        self.getPercent = getPercent
        self.lossPercent = lossPercent
        self.maximumDelay = max(maximumDelay, 1)
        random = SplitMix64(seed: seed)
        var generated = Set<NodeID>()
        while generated.count < nodeCount { generated.insert(NodeID.random(using: &random)) }
        ids = generated.sorted()
        var timing = KVSTiming()
        timing.phaseTimeoutMilliseconds = 2 * self.maximumDelay + 20
        instances = ids.map { KVSInstance(nodeID: $0, timing: timing) }
        for (position, id) in ids.enumerated() { index[id] = position }
        keys = (0..<keyCount).map { KVSKey("bench-key-\($0)") }
        let sortedIDs = ids
        replicas = keys.map {
            KVSReplicaSet(KVSPlacement.replicas(
                ofPosition: KVSPlacement.position(ofKey: $0), sortedNodes: sortedIDs, replicationFactor: 3))
        }
        tickAt = Array(repeating: nil, count: nodeCount)
    }

    mutating func run() {
        for client in 0..<clientCount { schedule(at: UInt64(client % 10), .client(client)) }
        while let (time, event) = queue.pop() {
            now = time.milliseconds
            switch event {
            case .deliver(let message, let from, let to):
                let directives = instances[to].receive(
                    message, from: ids[from], now: MonotonicTime(milliseconds: now), using: &random)
                apply(directives, at: to)
            case .tick(let node):
                guard tickAt[node] == now else { continue }
                tickAt[node] = nil
                apply(instances[node].tick(now: MonotonicTime(milliseconds: now), using: &random), at: node)
            case .client(let client):
                startOperation(client)
            }
        }
        figures.virtualMilliseconds = now
    }

    private mutating func startOperation(_ client: Int) {
        guard issued < operationCount else { return }
        issued += 1
        let node = Int.random(in: 0..<instances.count, using: &random)
        let keyIndex = Int.random(in: 0..<keys.count, using: &random)
        let roll = Int.random(in: 0..<100, using: &random)
        let command: KVSCommand
        if roll < getPercent {
            command = .get
        } else if (roll - getPercent) % 4 == 3 {
            command = .delete(condition: .none)
        } else {
            command = .put(Array(repeating: UInt8(truncatingIfNeeded: issued), count: 64), condition: .none)
        }
        let (id, directives) = instances[node].start(
            command, key: keys[keyIndex], replicas: replicas[keyIndex], now: MonotonicTime(milliseconds: now),
            using: &random)
        running[node, default: [:]][id] = Running(
            client: client, started: now, isGet: command == .get, key: keys[keyIndex])
        if command == .get { figures.gets += 1 } else { figures.writes += 1 }
        apply(directives, at: node)
    }

    private mutating func apply(_ directives: [KVSDirective], at node: Int) {
        for directive in directives {
            switch directive {
            case .send(let message, let to):
                figures.messages += 1
                if let operation = operationOf(message, at: node, to: to) {
                    if operation.isGet { figures.getMessages += 1 } else { figures.writeMessages += 1 }
                }
                guard lossPercent == 0 || Int.random(in: 0..<100, using: &random) >= lossPercent else { continue }
                guard let decoded = try? KVSMessage(decoding: message.encoded()), let target = index[to] else {
                    continue
                }
                let delay = UInt64.random(in: 1...maximumDelay, using: &random)
                schedule(at: now + delay, .deliver(decoded, from: node, to: target))
            case .complete(let id, let result):
                guard let operation = running[node]?.removeValue(forKey: id) else { continue }
                figures.latencies.append(now - operation.started)
                switch result {
                case .success: figures.succeeded += 1
                case .failure(.conditionFailed): figures.conditionFailed += 1
                case .failure: figures.failed += 1
                }
                schedule(at: now, .client(operation.client))
            }
        }
        if let wake = instances[node].nextWakeTime?.milliseconds {
            let time = max(wake, now)
            if tickAt[node].map({ time < $0 }) ?? true {
                tickAt[node] = time
                schedule(at: time, .tick(node))
            }
        }
    }

    /// The operation a message serves: the proposer's (sender of requests, receiver of replies) running
    /// operation on the same key. Replies that arrive after their operation completed count for none.
    private func operationOf(_ message: KVSMessage, at node: Int, to: NodeID) -> Running? {
        let proposer: Int?
        switch message {
        case .prepare, .accept: proposer = node
        case .promise, .accepted, .reject: proposer = index[to]
        }
        guard let proposer, let operations = running[proposer] else { return nil }
        let key = message.key
        return operations.values.first { $0.key == key }
    }

    private mutating func schedule(at time: UInt64, _ event: Event) {
        queue.push(event, at: MonotonicTime(milliseconds: time))
    }
}
