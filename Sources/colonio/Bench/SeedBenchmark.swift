import ArgumentParser
import Foundation

/// `colonio bench seed`: sign-ins per second, relayed signals per second and the seed's memory with
/// many connected clients; with `--seeds 2|3 --registry postgres`, of several seeds sharing one
/// PostgreSQL registry, where every relayed signal crosses from one seed to another.
///
/// The seed runs as a separate `colonio seed` process so its RSS and CPU time are measured alone;
/// the clients are simulated in this process by ``SeedLoadGenerator``, a load generator on SwiftNIO
/// event loops that costs much less CPU per sign-in than the seed itself. Both processes share the
/// machine's cores, so the figures are still a lower bound for the seed on cores of its own.
struct SeedBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Sign-ins/s, relayed signals/s and seed RSS with N concurrent clients (prints JSON).",
        discussion: """
            --seeds 2 or 3 with --registry postgres runs that many seed processes on one PostgreSQL \
            registry (--postgres URL, else a throwaway server from Debian's postgresql package); clients \
            sign in at the seeds in turn and each signals the next client, at the next seed. The latency \
            figures are of single signals from a client at the first seed to one at the second.
            """
    )

    @Option(name: .long, help: "Seed processes (1-3); more than one needs --registry postgres.")
    var seeds = 1

    @Option(name: .long, help: "Where the seeds register nodes: memory or postgres.")
    var registry = "memory"

    @Option(name: .long, help: "The PostgreSQL registry's URL (default: a throwaway server).")
    var postgres: String?

    @Option(name: .long, help: "Single signals timed one at a time after the relay phase.")
    var latencySamples = 200

    @Option(name: .long, help: "Clients that sign in and stay connected.")
    var clients = 10_000

    @Option(name: .long, help: "Sign-ins in flight at once.")
    var concurrency = 256

    @Option(name: .long, help: "Signals each client sends to the next client once all are signed in.")
    var signalsPerClient = 10

    @Option(name: .long, help: "Event loop threads of the load generator (the simulated clients).")
    var clientThreads = 1

    @Option(name: .long, help: "Seconds each phase may take before the benchmark fails.")
    var timeout = 120

    @Option(name: .long, help: "The colonio executable that runs the seed (default: this one).")
    var executable: String?

    func validate() throws {
        guard clients >= 2 else { throw ValidationError("--clients must be at least 2") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard signalsPerClient >= 1 else { throw ValidationError("--signals-per-client must be at least 1") }
        guard clientThreads >= 1 else { throw ValidationError("--client-threads must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1") }
        guard (1...3).contains(seeds) else { throw ValidationError("--seeds must be 1, 2 or 3") }
        guard registry == "memory" || registry == "postgres" else {
            throw ValidationError("--registry must be memory or postgres")
        }
        guard seeds == 1 || registry == "postgres" else {
            throw ValidationError("several seeds share nodes only through --registry postgres")
        }
        guard latencySamples >= 0 else { throw ValidationError("--latency-samples must not be negative") }
    }

    @OptionGroup var output: BenchOutputOptions

    func figures() async throws -> String {
        // One socket per client here and one in the seed, which inherits this process's limit; the
        // margin covers event loops, pipes and the listening socket.
        let needed = clients + 64
        if let limit = FileDescriptorLimit.raiseToHardLimit(), limit < needed {
            throw ValidationError(
                "\(clients) clients need about \(needed) open files per process; the limit is \(limit) (raise it with ulimit -n)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-bench-seed-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configPath = folder.appendingPathComponent("seed.json").path
        var database: BenchPostgres?
        defer { database?.stop() }
        var registryJSON = ""
        if registry == "postgres" {
            let url: String
            if let postgres {
                url = postgres
            } else {
                let server = try BenchPostgres()
                database = server
                url = server.url
            }
            registryJSON = #""registry": {"postgres": "\#(url)"},"#
        }
        // Limits generous enough that the benchmark measures throughput, not the rate limiter. The
        // seeds share the key file in the configuration's folder.
        let config = """
            {"listen": {"host": "127.0.0.1", "port": 0}, "keyFile": "seed.key", \(registryJSON)
             "limits": {"framesPerSecond": 1000000, "keepaliveIntervalMilliseconds": 60000,
                        "keepaliveTimeoutMilliseconds": 600000, "outboundQueueBytes": 4194304,
                        "signInTimeoutMilliseconds": 600000, "maxConnections": \(clients + 64),
                        "maxConnectionsPerAddress": \(clients + 64)},
             "networks": [{"name": "bench", "tokens": ["bench-token"], "maxNodes": \(clients + 16)}]}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))

        // One after another: the first creates the shared key file.
        var processes: [SeedProcess] = []
        defer { for process in processes { process.stop() } }
        for _ in 0..<seeds {
            processes.append(
                try SeedProcess(
                    executable: executable ?? Self.currentExecutable(),
                    arguments: ["seed", "--config", configPath, "--log-level", "error"]))
        }
        if registry == "postgres" { try await Task.sleep(for: .seconds(1)) }  // registries connecting
        let seed = SeedProcesses(processes: processes, database: database)
        let seedIdleRSS = seed.residentBytes()

        // Keys, upgrade requests and sign-in frames are made here, before timing.
        let generator = try SeedLoadGenerator(
            host: "127.0.0.1", ports: processes.map(\.port), network: "bench", token: "bench-token",
            options: .init(
                clients: clients, concurrency: concurrency, signalsPerClient: signalsPerClient,
                threads: clientThreads, phaseTimeout: .seconds(Int64(timeout))))
        do {
            let report = try await measure(generator, seed: seed, seedIdleRSS: seedIdleRSS)
            await generator.shutdown()
            return report
        } catch {
            await generator.shutdown()
            throw error
        }
    }

    private func measure(_ generator: SeedLoadGenerator, seed: SeedProcesses, seedIdleRSS: Int) async throws -> String {
        // Phase 1: every client signs in, `concurrency` at a time.
        let clock = ContinuousClock()
        let signInSeedCPUStart = seed.cpuSeconds()
        let signInDatabaseCPUStart = seed.databaseCPUSeconds()
        let signInClientCPUStart = ProcessStatus.cpuSeconds()
        let signInStart = clock.now
        try await generator.signIn()
        let signInDuration = clock.now - signInStart
        let signInSeedCPU = seed.cpuSeconds() - signInSeedCPUStart
        let signInDatabaseCPU = seed.databaseCPUSeconds() - signInDatabaseCPUStart
        let signInClientCPU = ProcessStatus.cpuSeconds() - signInClientCPUStart
        try await Task.sleep(for: .seconds(1))
        let seedConnectedRSS = seed.residentBytes()
        let seedPeakRSS = seed.peakResidentBytes()

        // Phase 2: each client sends `signalsPerClient` signals to the next; ends when all arrived.
        generator.prepareSignals()
        let total = clients * signalsPerClient
        let relaySeedCPUStart = seed.cpuSeconds()
        let relayDatabaseCPUStart = seed.databaseCPUSeconds()
        let relayClientCPUStart = ProcessStatus.cpuSeconds()
        let relayStart = clock.now
        let received = try await generator.relay()
        let relayDuration = clock.now - relayStart
        let relaySeedCPU = seed.cpuSeconds() - relaySeedCPUStart
        let relayDatabaseCPU = seed.databaseCPUSeconds() - relayDatabaseCPUStart
        // Phase 3: single signals from a client at the first seed to one at the second, one at a time.
        let latencies = try await generator.latencies(samples: latencySamples)
        let relayClientCPU = ProcessStatus.cpuSeconds() - relayClientCPUStart
        let clientRSS = ProcessStatus.read()

        let report: [String: Any] = [
            "benchmark": "seed",
            "seeds": seeds,
            "registry": registry,
            "loadGenerator": "nio",
            "clients": clients,
            "clientThreads": clientThreads,
            "concurrency": concurrency,
            "signInSeconds": signInDuration.seconds,
            "signInsPerSecond": Double(clients) / signInDuration.seconds,
            "relayedSignals": received,
            "relayedSignalsExpected": total,
            "relaySeconds": relayDuration.seconds,
            "relayedSignalsPerSecond": Double(received) / relayDuration.seconds,
            // What the seed process alone spent: an estimate of its capacity on dedicated cores.
            "seedCPUSecondsSignIn": signInSeedCPU,
            "signInsPerSeedCPUSecond": Double(clients) / max(signInSeedCPU, 0.001),
            "seedCPUSecondsRelay": relaySeedCPU,
            "relayedSignalsPerSeedCPUSecond": Double(received) / max(relaySeedCPU, 0.001),
            // What the load generator (this process) spent: how much of the machine it took from the seed.
            "clientCPUSecondsSignIn": signInClientCPU,
            "clientCPUSecondsRelay": relayClientCPU,
            "seedIdleRSSMegabytes": Double(seedIdleRSS) / 1_048_576,
            "seedConnectedRSSMegabytes": Double(seedConnectedRSS) / 1_048_576,
            "seedPeakRSSMegabytes": Double(seedPeakRSS) / 1_048_576,
            "clientProcessRSSMegabytes": clientRSS.residentMB,
            // The throwaway database's processes (0 with --postgres or the memory registry).
            "databaseCPUSecondsSignIn": signInDatabaseCPU,
            "databaseCPUMillisecondsPerSignIn": signInDatabaseCPU * 1000 / Double(clients),
            "databaseCPUSecondsRelay": relayDatabaseCPU,
            "seedCPUMillisecondsPerSignIn": signInSeedCPU * 1000 / Double(clients),
            "signalLatencySamples": latencies.count,
            "signalLatencyP50Milliseconds": latencies.nearestRankPercentile(50).map(\.milliseconds) ?? 0,
            "signalLatencyP99Milliseconds": latencies.nearestRankPercentile(99).map(\.milliseconds) ?? 0,
            "cores": ProcessStatus.allowedCores(),
        ]
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
        return String(decoding: json, as: UTF8.self)
    }

    static func currentExecutable() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in milliseconds as a `Double`.
    fileprivate var milliseconds: Double { seconds * 1000 }
}

/// The seed processes of one run (and the throwaway database, if any), measured together.
struct SeedProcesses {
    var processes: [SeedProcess]
    var database: BenchPostgres?

    func residentBytes() -> Int { processes.map { $0.residentBytes() }.reduce(0, +) }
    func peakResidentBytes() -> Int { processes.map { $0.peakResidentBytes() }.reduce(0, +) }
    func cpuSeconds() -> Double { processes.map { $0.cpuSeconds() }.reduce(0, +) }
    func databaseCPUSeconds() -> Double { database?.cpuSeconds() ?? 0 }
}
