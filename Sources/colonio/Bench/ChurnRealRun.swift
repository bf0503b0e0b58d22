import ColonioCore
import ColonioSeed
import Foundation
import Logging
import Synchronization

/// One run of `colonio bench churn` with real processes on loopback: an embedded seed, `nodes` child
/// `colonio node` processes placed on a 1000 x 1000 plane and subscribed to one topic, a workload from a
/// few of them, then `kill` of the others SIGKILLed at once (the first two two places apart on the ring,
/// the case that once never repaired). Every survivor is polled for its links and ring lists until it has
/// noticed the dead and its lists are exact. Afterwards: every acknowledged write is read back, and
/// circles around the dead nodes' places are published to.
struct ChurnRealRun {
    struct Options: Sendable {
        var nodes = 8
        var kill = 2
        var clients = 3
        /// Seconds of workload before the kill, and after the ring is exact again.
        var beforeSeconds = 2.0
        var afterSeconds = 2.0
        /// Seconds after the ring formed before the kill, at least (the workload runs meanwhile); `nil`:
        /// ``defaultSettleSeconds(kill:)``.
        var settleSeconds: Double?
        /// How long after the kill the ring may take before the run gives up waiting.
        var repairLimitSeconds = 30.0
        var pollMilliseconds = 100
        var seed: UInt64 = 1
        /// How long the ring may take to form (every node's lists exact) before the run fails.
        var formationLimit: Duration = .seconds(90)
        /// How long reading every acknowledged write back may take in all.
        var readBackLimit: Duration = .seconds(60)
        /// Whether to publish around the crash site after the repair (a test may skip it for time).
        var checkPubSub = true
        /// The `colonio` executable that runs the nodes.
        var executable: String
    }

    struct Result: Sendable {
        var nodes: Int
        var killed: Int
        var formationMilliseconds: Int
        /// From the kill until the first and the last survivor linked to a dead node dropped that link.
        var detectFirstMilliseconds: Int?
        var detectLastMilliseconds: Int?
        var detectionPairs: Int
        var detectionPairsNoticed: Int
        /// From the kill until every survivor's ring lists were exact; `nil`: not within the limit.
        var ringExactMilliseconds: Int?
        /// Every survivor's lists were exact once more after the workload (they did not change again).
        var ringExactAtEnd: Bool
        /// Share of the key space two of whose three replicas were killed: unavailable for good.
        var keyspaceMajorityLost: Double
        /// Candidate workload keys passed over because they were in that share.
        var keysAvoided: Int
        var before: [ChurnWorkload.Operation] = []
        var during: [ChurnWorkload.Operation] = []
        var after: [ChurnWorkload.Operation] = []
        var acknowledgedWrites: Int
        var lostWrites: Int
        var unreadableWrites: Int
        var publications: Int
        var expectedDeliveries: Int
        var missingDeliveries: Int
        var duplicateDeliveries: Int
        var outsideDeliveries: Int

        var json: String {
            func number(_ value: Int?) -> String { value.map(String.init) ?? "null" }
            return "{\"nodes\":\(nodes),\"killed\":\(killed),\"formation_ms\":\(formationMilliseconds),"
                + "\"detect_first_ms\":\(number(detectFirstMilliseconds)),\"detect_last_ms\":\(number(detectLastMilliseconds)),"
                + "\"detection_links\":\(detectionPairs),\"detection_links_noticed\":\(detectionPairsNoticed),"
                + "\"ring_exact_ms\":\(number(ringExactMilliseconds)),\"ring_exact_at_end\":\(ringExactAtEnd),"
                + "\"keyspace_majority_lost\":\(String(format: "%.4f", keyspaceMajorityLost)),\"keys_avoided\":\(keysAvoided),"
                + "\"before\":\(ChurnWorkload.json(before)),\"during\":\(ChurnWorkload.json(during)),"
                + "\"after\":\(ChurnWorkload.json(after)),"
                + "\"acknowledged_writes\":\(acknowledgedWrites),\"lost_writes\":\(lostWrites),"
                + "\"unreadable_writes\":\(unreadableWrites),"
                + "\"pubsub_after_repair\":{\"publications\":\(publications),\"expected\":\(expectedDeliveries),"
                + "\"missing\":\(missingDeliveries),\"duplicates\":\(duplicateDeliveries),\"outside\":\(outsideDeliveries),"
                + "\"exact\":\(missingDeliveries == 0 && duplicateDeliveries == 0 && outsideDeliveries == 0)}}"
        }
    }

    /// With two or more victims, the kill waits until the joint phases of the ring's formation are over.
    /// For ``KVSCoordinator/jointMilliseconds(routing:kvs:)`` after a node joined (18 s with the default
    /// settings) its neighbours keep the configuration without it in use, and two deaths among a key's
    /// replicas in that configuration lose the key's majority just as in the current one (docs/kvs.md):
    /// such a run would measure keys lost by design, not the repair. One victim never takes a majority.
    static func defaultSettleSeconds(kill: Int) -> Double {
        guard kill >= 2 else { return 0 }
        return Double(KVSCoordinator.jointMilliseconds(routing: RoutingSettings(), kvs: KVSSettings())) / 1000 + 2
    }

    /// Seconds from the start of the workload (just after the ring formed) to the kill.
    var secondsBeforeKill: Double {
        max(options.beforeSeconds, options.settleSeconds ?? Self.defaultSettleSeconds(kill: options.kill))
    }

    let options: Options
    private let network = "churn"
    private let token = "churn-token"
    private let topic = "churn"
    /// Circles published after the repair: this radius around each dead node's place.
    private let circleRadius = 300.0

    init(options: Options) {
        self.options = options
    }

    /// Runs once; every node process is killed and the seed stopped on every way out.
    func run() async throws -> Result {
        var logger = Logger(label: "colonio.bench.churn")
        logger.logLevel = .critical
        let seed = try await EmbeddedSeed.start(
            configuration: SeedConfiguration(
                listen: ListenAddress(host: "127.0.0.1", port: 0), keyFile: "",
                networks: [NetworkDefinition(name: network, tokens: [token])]),
            logger: logger)
        var processes: [ChurnNodeProcess] = []
        do {
            for index in 0..<options.nodes {
                processes.append(try ChurnNodeProcess(
                    index: index, executable: options.executable, seed: seed.url, network: network, token: token))
            }
            let all = processes
            let limit = overallLimit
            let result = try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { try await measure(all) }
                group.addTask {
                    try await Task.sleep(for: limit)
                    return nil
                }
                guard let first = try await group.next(), let result = first else {
                    // Every wait inside is bounded; this is the backstop should a bound be missing. Killing
                    // the nodes makes every command still waiting fail at once, so the measurement unwinds.
                    all.forEach { $0.kill() }
                    group.cancelAll()
                    throw BenchFailure("the churn run did not finish within \(limit); its nodes were killed")
                }
                group.cancelAll()
                return result
            }
            processes.forEach { $0.kill() }
            await Self.stop(seed)
            return result
        } catch {
            processes.forEach { $0.kill() }
            await Self.stop(seed)
            throw error
        }
    }

    /// The most one run may take: the sum of the bounds of its steps (start-up at 2 s a node, formation,
    /// workload, repair, the operations in flight when the workload stops, read-back, pub/sub), plus a margin.
    var overallLimit: Duration {
        .seconds(2 * options.nodes) + options.formationLimit + .milliseconds(Int((secondsBeforeKill + options.repairLimitSeconds + options.afterSeconds) * 1000))
            + .seconds(40) + options.readBackLimit + (options.checkPubSub ? .seconds(20) : .zero) + .seconds(30)
    }

    private func measure(_ processes: [ChurnNodeProcess]) async throws -> Result {
        var random = SplitMix64(seed: options.seed)
        var ids: [String] = []
        var positions: [(x: Double, y: Double)] = []
        for process in processes {
            let status = try await process.command("status")
            guard let id = status["nodeID"] as? String else { throw BenchFailure("node \(process.index) has no ID") }
            ids.append(id.lowercased())
            let position = (x: Double.random(in: 0..<1000, using: &random), y: Double.random(in: 0..<1000, using: &random))
            positions.append(position)
            _ = try await process.command("position \(position.x),\(position.y)")
            _ = try await process.command("subscribe \(topic)")
        }
        let formationStart = ContinuousClock.now
        guard try await waitUntilExact(processes, ids: ids, limit: options.formationLimit) else {
            throw BenchFailure("the ring of \(options.nodes) nodes did not form within \(options.formationLimit)")
        }
        let formation = Self.milliseconds(since: formationStart)

        // Victims: two nodes two places apart on the ring, then random others; clients: the first survivors.
        let sorted = ids.sorted()
        let first = Int.random(in: 0..<sorted.count, using: &random)
        var victims: [Int] = []
        for offset in [0, 2] where victims.count < options.kill {
            victims.append(ids.firstIndex(of: sorted[(first + offset) % sorted.count])!)
        }
        var others = Array(0..<options.nodes).filter { !victims.contains($0) }
        others.shuffle(using: &random)
        victims += others.prefix(options.kill - victims.count)
        let survivors = processes.filter { !victims.contains($0.index) }
        let clients = Array(survivors.prefix(options.clients))
        let ring = ChurnRingCheck(liveIDs: survivors.map { ids[$0.index] })
        let victimIDs = Set(victims.map { ids[$0] })
        // Keys two of whose three replicas are killed are unavailable for good by design (docs/kvs.md,
        // "a majority of one key's replicas crashing at once"): the workload keeps to the others, so that
        // its failures measure the repair, and the share of the key space lost is reported instead.
        let placement = ChurnKeyPlacement(ids: ids, victims: victimIDs)
        let keys = (0..<clients.count).map { placement.keys(prefix: "churn/\($0)/", count: ChurnWorkload.keysPerClient) }
        let workloadKeys = keys.map(\.keys)

        // Workload before, during and after; it runs on until told to stop (or a hard deadline).
        let stop = ChurnWorkload.StopSignal()
        // On every way out, also when a step below throws.
        defer { stop.stop() }
        let hardDeadline = ContinuousClock.now
            + .milliseconds(Int((secondsBeforeKill + options.repairLimitSeconds + options.afterSeconds + 30) * 1000))
        let workload = Task {
            await withTaskGroup(of: ChurnWorkload.Outcome.self) { group in
                for (number, client) in clients.enumerated() {
                    let keys = workloadKeys[number]
                    group.addTask { await ChurnWorkload.client(client, number: number, keys: keys, stop: stop, deadline: hardDeadline) }
                }
                return await group.reduce(into: [ChurnWorkload.Outcome]()) { $0.append($1) }
            }
        }
        try await Task.sleep(for: .milliseconds(Int(secondsBeforeKill * 1000)))

        // Which survivor is linked to which victim, just before the kill.
        var linked: [(survivor: Int, victim: String)] = []
        for survivor in survivors {
            let links = try await survivor.command("links")["links"] as? [[String: Any]] ?? []
            for link in links where link["state"] as? String == "authenticated" {
                if let peer = (link["peer"] as? String)?.lowercased(), victimIDs.contains(peer) {
                    linked.append((survivor.index, peer))
                }
            }
        }
        let killed = ContinuousClock.now
        for victim in victims { processes[victim].kill() }
        let progress = ChurnRepairProgress(survivors: survivors.map(\.index), linked: linked, killed: killed)
        let repairDeadline = killed + .milliseconds(Int(options.repairLimitSeconds * 1000))
        await withTaskGroup(of: Void.self) { group in
            for survivor in survivors {
                let id = ids[survivor.index]
                let interval = options.pollMilliseconds
                group.addTask {
                    await Self.poll(survivor, id: id, ring: ring, progress: progress, deadline: repairDeadline, interval: interval)
                }
            }
        }
        let ringExactAt = progress.ringExactAt
        try await Task.sleep(for: .milliseconds(Int(options.afterSeconds * 1000)))
        stop.stop()
        let outcomes = await workload.value
        let exactAtEnd = try await waitUntilExact(survivors, ids: ids, ring: ring, limit: .zero)

        var result = Result(
            nodes: options.nodes, killed: victims.count, formationMilliseconds: formation,
            detectFirstMilliseconds: progress.detection.min(), detectLastMilliseconds: progress.detectionComplete ? progress.detection.max() : nil,
            detectionPairs: linked.count, detectionPairsNoticed: progress.detection.count,
            ringExactMilliseconds: ringExactAt.map { Int(($0 - killed) / .milliseconds(1)) }, ringExactAtEnd: exactAtEnd,
            keyspaceMajorityLost: placement.majorityLostShare, keysAvoided: keys.map(\.skipped).reduce(0, +),
            acknowledgedWrites: 0, lostWrites: 0, unreadableWrites: 0,
            publications: 0, expectedDeliveries: 0, missingDeliveries: 0, duplicateDeliveries: 0, outsideDeliveries: 0)
        let repaired = ringExactAt ?? repairDeadline
        for operation in outcomes.flatMap(\.operations) {
            if operation.start < killed {
                result.before.append(operation)
            } else if operation.start < repaired {
                result.during.append(operation)
            } else {
                result.after.append(operation)
            }
        }
        try await checkWrites(outcomes, readers: survivors, into: &result)
        guard options.checkPubSub else { return result }
        try await publishAroundTheDead(
            survivors: survivors, victims: victims, positions: positions, random: &random, into: &result)
        return result
    }

    /// Polls one survivor until it has noticed every dead peer it was linked to and every survivor's
    /// lists are exact, or until `deadline`.
    private static func poll(
        _ node: ChurnNodeProcess, id: String, ring: ChurnRingCheck, progress: ChurnRepairProgress,
        deadline: ContinuousClock.Instant, interval: Int
    ) async {
        while ContinuousClock.now < deadline, !progress.isComplete, !Task.isCancelled {
            if progress.awaitsNotice(by: node.index),
               let links = try? await node.command("links", timeout: .seconds(10))["links"] as? [[String: Any]] {
                let alive = Set(links.filter { $0["state"] as? String == "authenticated" }
                    .compactMap { ($0["peer"] as? String)?.lowercased() })
                progress.observe(links: alive, of: node.index, at: .now)
            }
            if let status = try? await node.command("status", timeout: .seconds(10)) {
                progress.observe(exact: ring.isExact(id: id, status: status), of: node.index, at: .now)
            }
            try? await Task.sleep(for: .milliseconds(interval))
        }
    }

    /// Polls every node's status (at least once) until all lists are exact or `limit` has passed.
    private func waitUntilExact(
        _ processes: [ChurnNodeProcess], ids: [String], ring: ChurnRingCheck? = nil, limit: Duration
    ) async throws -> Bool {
        try Task.checkCancellation()
        let ring = ring ?? ChurnRingCheck(liveIDs: processes.map { ids[$0.index] })
        let deadline = ContinuousClock.now + limit
        while true {
            var exact = true
            for process in processes where exact {
                // A status that does not come in time counts as not exact (the wait is bounded by `limit`).
                let status = try? await process.command("status", timeout: .seconds(10))
                exact = status.map { ring.isExact(id: ids[process.index], status: $0) } ?? false
            }
            if exact { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Reads every acknowledged key back from the survivors: it must hold the acknowledged value or a
    /// later one (a higher version). Each survivor reads its share of the keys, one at a time (its console
    /// runs one command at a time), a failed read is tried again on the next survivor, and the whole
    /// check ends at `readBackLimit`: a key no read of which succeeded by then counts as unreadable, not lost.
    private func checkWrites(
        _ outcomes: [ChurnWorkload.Outcome], readers: [ChurnNodeProcess], into result: inout Result
    ) async throws {
        let written = outcomes.flatMap(\.acknowledged).sorted { $0.key < $1.key }
        result.acknowledgedWrites = written.count
        let deadline = ContinuousClock.now + options.readBackLimit
        let verdicts = await withTaskGroup(of: [ReadVerdict].self) { group in
            for number in readers.indices {
                group.addTask {
                    var verdicts: [ReadVerdict] = []
                    for (offset, (key, expected)) in written.enumerated() where offset % readers.count == number {
                        var verdict = ReadVerdict.unreadable
                        for attempt in 0..<3 where verdict == .unreadable {
                            let remaining = deadline - ContinuousClock.now
                            guard remaining > .zero, !Task.isCancelled else { break }
                            let node = readers[(number + attempt) % readers.count]
                            // 20 s covers the node's own request timeouts (3 x 5 s) for one get.
                            guard let read = try? await node.command("get \(key)", timeout: min(.seconds(20), remaining)) else {
                                continue
                            }
                            let version = read["version"] as? Int ?? -1
                            let stale = read["found"] as? Bool != true || version < expected.version
                                || (version == expected.version && read["text"] as? String != expected.text)
                            verdict = stale ? .lost : .read
                        }
                        verdicts.append(verdict)
                    }
                    return verdicts
                }
            }
            return await group.reduce(into: [ReadVerdict]()) { $0 += $1 }
        }
        result.lostWrites = verdicts.filter { $0 == .lost }.count
        result.unreadableWrites = verdicts.filter { $0 == .unreadable }.count
    }

    private enum ReadVerdict: Sendable { case read, lost, unreadable }

    /// One publication to a circle around each dead node's place (at most four), from a survivor; each
    /// must reach every survivor inside exactly once (its publisher excepted), and none outside.
    private func publishAroundTheDead(
        survivors: [ChurnNodeProcess], victims: [Int], positions: [(x: Double, y: Double)],
        random: inout SplitMix64, into result: inout Result
    ) async throws {
        // Geographic neighbourhoods are repaired by the same detector; a second to settle after the ring.
        try await Task.sleep(for: .seconds(1))
        for (number, victim) in victims.prefix(4).enumerated() {
            let center = positions[victim]
            let publisher = survivors[Int.random(in: 0..<survivors.count, using: &random)]
            let text = "around-\(number)"
            let inside = survivors.filter {
                $0.index != publisher.index
                    && hypot(positions[$0.index].x - center.x, positions[$0.index].y - center.y) <= circleRadius
            }
            _ = try await publisher.command("publish \(topic) \(center.x),\(center.y) \(circleRadius) \(text)")
            // Wait (bounded) for the deliveries inside, then a little longer for duplicates.
            let deadline = ContinuousClock.now + .seconds(3)
            while ContinuousClock.now < deadline,
                  inside.contains(where: { !$0.deliveredTexts().contains(text) }) {
                try await Task.sleep(for: .milliseconds(20))
            }
            try await Task.sleep(for: .milliseconds(300))
            result.publications += 1
            result.expectedDeliveries += inside.count
            for survivor in survivors {
                let count = survivor.deliveredTexts().filter { $0 == text }.count
                let isInside = inside.contains { $0.index == survivor.index }
                if isInside, count == 0 { result.missingDeliveries += 1 }
                if count > 1 { result.duplicateDeliveries += count - 1 }
                if !isInside, count > 0 { result.outsideDeliveries += 1 }
            }
        }
    }

    /// Stops the seed, waiting at most 10 s: its shutdown closes the sessions of nodes that were killed.
    private static func stop(_ seed: EmbeddedSeed) async {
        let stopped = ChurnWorkload.StopSignal()
        let stopping = Task {
            await seed.stop()
            stopped.stop()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !stopped.isStopped, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if !stopped.isStopped {
            FileHandle.standardError.write(Data("colonio bench churn: the seed did not stop within 10 s\n".utf8))
            stopping.cancel()
        }
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        Int((ContinuousClock.now - start) / .milliseconds(1))
    }
}
