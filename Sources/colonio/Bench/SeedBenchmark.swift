import ArgumentParser
import Colonio
import ColonioCore
import Crypto
import Foundation
import Logging

/// `colonio bench seed`: sign-ins per second, relayed signals per second and the seed's memory with
/// many connected clients.
///
/// The seed runs as a separate `colonio seed` process so its RSS is measured alone; the clients run
/// in this process. Both share the machine's cores, so the figures are a lower bound for the seed.
struct SeedBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Sign-ins/s, relayed signals/s and seed RSS with N concurrent clients (prints JSON)."
    )

    @Option(name: .long, help: "Clients that sign in and stay connected.")
    var clients = 10_000

    @Option(name: .long, help: "Sign-ins in flight at once.")
    var concurrency = 256

    @Option(name: .long, help: "Signals each client sends to the next client once all are signed in.")
    var signalsPerClient = 10

    @Option(name: .long, help: "The colonio executable that runs the seed (default: this one).")
    var executable: String?

    func validate() throws {
        guard clients >= 2 else { throw ValidationError("--clients must be at least 2") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        guard signalsPerClient >= 1 else { throw ValidationError("--signals-per-client must be at least 1") }
    }

    @OptionGroup var output: BenchOutputOptions

    func figures() async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-bench-seed-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configPath = folder.appendingPathComponent("seed.json").path
        // Limits generous enough that the benchmark measures throughput, not the rate limiter.
        let config = """
            {"listen": {"host": "127.0.0.1", "port": 0}, "keyFile": "seed.key",
             "limits": {"framesPerSecond": 1000000, "keepaliveIntervalMilliseconds": 60000,
                        "keepaliveTimeoutMilliseconds": 600000, "outboundQueueBytes": 4194304},
             "networks": [{"name": "bench", "tokens": ["bench-token"], "maxNodes": \(clients + 16)}]}
            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))

        let seed = try SeedProcess(
            executable: executable ?? Self.currentExecutable(), arguments: ["seed", "--config", configPath, "--log-level", "error"])
        defer { seed.stop() }
        let url = "ws://127.0.0.1:\(seed.port)"
        let seedIdleRSS = seed.residentBytes()

        let logger: Logger = {
            var logger = Logger(label: "colonio.bench.seed")
            logger.logLevel = .error
            return logger
        }()
        let keys = (0..<clients).map { _ in Curve25519.Signing.PrivateKey() }
        let options = SeedClient.Options(signInTimeout: .seconds(120), requestTimeout: .seconds(120))

        // Phase 1: every client signs in, `concurrency` at a time.
        let clock = ContinuousClock()
        let signInCPUStart = seed.cpuSeconds()
        let signInStart = clock.now
        let connected = try await withThrowingTaskGroup(of: (Int, SeedClient).self) { group in
            var results = [SeedClient?](repeating: nil, count: clients)
            var nextIndex = 0
            var inFlight = 0
            while true {
                while nextIndex < clients, inFlight < concurrency {
                    let index = nextIndex
                    let key = keys[index]
                    group.addTask {
                        (index, try await SeedClient.connect(
                            url: url, network: "bench", token: "bench-token", keypair: key, options: options,
                            logger: logger))
                    }
                    nextIndex += 1
                    inFlight += 1
                }
                guard let (index, client) = try await group.next() else { break }
                inFlight -= 1
                results[index] = client
            }
            return results.compactMap { $0 }
        }
        let signInDuration = clock.now - signInStart
        let signInCPU = seed.cpuSeconds() - signInCPUStart
        try await Task.sleep(for: .seconds(1))
        let seedConnectedRSS = seed.residentBytes()
        let seedPeakRSS = seed.peakResidentBytes()

        // Phase 2: each client sends `signalsPerClient` signals to the next; wait for all to arrive.
        let total = connected.count * signalsPerClient
        let relayCPUStart = seed.cpuSeconds()
        let relayStart = clock.now
        let received = await withTaskGroup(of: Int.self) { group in
            for client in connected {
                let expected = signalsPerClient
                group.addTask {
                    var count = 0
                    for await _ in client.signals {
                        count += 1
                        if count == expected { break }
                    }
                    return count
                }
            }
            for (index, client) in connected.enumerated() {
                let target = connected[(index + 1) % connected.count].session.nodeID
                for number in 0..<signalsPerClient {
                    try? client.send(
                        signal: SignalPayload(
                            sessionID: UInt64(number),
                            kind: .candidate(
                                candidate: "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", sdpMid: "0",
                                sdpMLineIndex: 0)),
                        to: target)
                }
            }
            var sum = 0
            for await count in group { sum += count }
            return sum
        }
        let relayDuration = clock.now - relayStart
        let relayCPU = seed.cpuSeconds() - relayCPUStart
        let benchRSS = ProcessStatus.bytes("VmRSS")

        await withTaskGroup(of: Void.self) { group in
            for client in connected { group.addTask { await client.close() } }
        }

        let report: [String: Any] = [
            "benchmark": "seed",
            "clients": connected.count,
            "concurrency": concurrency,
            "signInSeconds": signInDuration.seconds,
            "signInsPerSecond": Double(connected.count) / signInDuration.seconds,
            "relayedSignals": received,
            "relayedSignalsExpected": total,
            "relaySeconds": relayDuration.seconds,
            "relayedSignalsPerSecond": Double(received) / relayDuration.seconds,
            // What the seed process alone spent: an estimate of its capacity on dedicated cores.
            "seedCPUSecondsSignIn": signInCPU,
            "signInsPerSeedCPUSecond": Double(connected.count) / max(signInCPU, 0.001),
            "seedCPUSecondsRelay": relayCPU,
            "relayedSignalsPerSeedCPUSecond": Double(received) / max(relayCPU, 0.001),
            "seedIdleRSSMegabytes": Double(seedIdleRSS) / 1_048_576,
            "seedConnectedRSSMegabytes": Double(seedConnectedRSS) / 1_048_576,
            "seedPeakRSSMegabytes": Double(seedPeakRSS) / 1_048_576,
            "clientProcessRSSMegabytes": Double(benchRSS) / 1_048_576,
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
}

/// A `colonio seed` child process; learns its port from the JSON line it prints.
private final class SeedProcess {
    let process = Process()
    let port: Int

    init(executable: String, arguments: [String]) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        try process.run()
        struct Listening: Decodable {
            struct Address: Decodable { var port: Int }
            var listening: Address
        }
        // Skip lines a wrapper (a profiler, say) may print before the seed's own.
        let handle = output.fileHandleForReading
        var found: Int?
        var line = Data()
        while found == nil {
            let byte = handle.readData(ofLength: 1)
            if byte.isEmpty { break }
            if byte == Data([0x0A]) {
                found = (try? JSONDecoder().decode(Listening.self, from: line))?.listening.port
                line = Data()
            } else {
                line.append(byte)
            }
        }
        guard let found else {
            process.terminate()
            throw ValidationError("the seed process did not start; run it alone with the same configuration to see why")
        }
        port = found
    }

    func residentBytes() -> Int { ProcessStatus.bytes("VmRSS", pid: "\(process.processIdentifier)") }

    func peakResidentBytes() -> Int { ProcessStatus.bytes("VmHWM", pid: "\(process.processIdentifier)") }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }


    /// User plus system CPU time of the seed so far, from `/proc/<pid>/stat` (clock ticks of 1/100 s).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
