import ArgumentParser
import ColonioWebRTC
import Foundation
import Logging

/// `colonio bench link`: two WebRTC links in this process over loopback: connect time (with its steps),
/// 64-byte round trips and 64 KiB throughput; with `--references`, the same figures of the reference
/// programs in `scripts/bench` (plain libwebrtc, pion) from the same run.
struct LinkBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "link",
        abstract: "WebRTC link between two peers in one process over loopback: connect, RTT, throughput."
    )

    @Option(help: "Connections to time (offer to open channel on both sides).")
    var connects = 20
    @Option(help: "Round trips of 64-byte messages to time.")
    var roundTrips = 10_000
    @Option(help: "64 KiB messages to send for the throughput figure.")
    var messages = 4_096
    @Flag(help: "Give each peer its own engine (own libwebrtc thread), as peers in two processes have.")
    var separateEngines = false
    @Flag(help: "Also run the reference programs of scripts/bench (raw-link.sh: libwebrtc used directly; pion-link.sh: pion/webrtc v3) from the current directory, when they can be built, and print their figures too.")
    var references = false

    struct Report: Encodable {
        struct Connect: Encodable {
            let samples: Int
            let p50: Double
            let min: Double
            let max: Double
            /// Milliseconds from the start to the end of each step, p50: offer made, answer made and
            /// applied, ICE connected, DTLS connected, data channel open on both sides.
            let steps_p50: [String: Double]
        }
        struct RoundTrip: Encodable {
            let samples: Int
            let p50: Double
            let p99: Double
        }
        let benchmark = "link"
        let cores: Int
        let engines: Int
        let connect_ms: Connect
        let rtt_us: RoundTrip
        let throughput_mb_s: Double
        /// The process before the engine started (Swift runtime, Foundation), for comparison.
        let rss_before_engine_mb: Double
        let rss_mb: Double
        let peak_rss_mb: Double
    }

    @OptionGroup var output: BenchOutputOptions

    func figures() async throws -> String {
        let before = ProcessStatus.read()
        let logger = Logger(label: "colonio.bench.link")
        let engine = try WebRTCEngine(configuration: .loopbackOnly, logger: logger)
        let answeringEngine = separateEngines ? try WebRTCEngine(configuration: .loopbackOnly, logger: logger) : engine
        var connectTimes: [Double] = []
        var stepTimes: [String: [Double]] = [:]
        for _ in 0..<max(connects, 1) {
            let start = ContinuousClock.now
            let pair = try await BenchPair.connect(engine: engine, answeringEngine: answeringEngine)
            connectTimes.append((ContinuousClock.now - start).milliseconds)
            for (step, at) in pair.steps { stepTimes[step, default: []].append((at - start).milliseconds) }
            pair.close()
            await pair.finish()
        }

        var pair = try await BenchPair.connect(engine: engine, answeringEngine: answeringEngine)
        let payload = [UInt8](repeating: 0x5a, count: 64)
        for _ in 0..<200 { _ = try await pair.roundTrip(payload) }  // warm-up
        var roundTripTimes: [Double] = []
        roundTripTimes.reserveCapacity(roundTrips)
        for _ in 0..<max(roundTrips, 1) {
            let start = ContinuousClock.now
            _ = try await pair.roundTrip(payload)
            roundTripTimes.append((ContinuousClock.now - start).microseconds)
        }

        let block = [UInt8](repeating: 0xa5, count: 65_536)
        let start = ContinuousClock.now
        for _ in 0..<max(messages, 1) { try await pair.offerer.send(block) }
        _ = try await pair.roundTrip([1])  // ordered: its echo means every block arrived
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        let throughput = Double(max(messages, 1) * block.count) / seconds / 1_000_000

        let memory = ProcessStatus.read()
        pair.close()
        await pair.finish()

        connectTimes.sort()
        roundTripTimes.sort()
        let report = Report(
            cores: ProcessStatus.allowedCores(),
            engines: separateEngines ? 2 : 1,
            connect_ms: .init(
                samples: connectTimes.count, p50: (connectTimes.nearestRankPercentile(50) ?? 0).rounded(to: 2),
                min: connectTimes.first!.rounded(to: 2), max: connectTimes.last!.rounded(to: 2),
                steps_p50: stepTimes.mapValues { ($0.sorted().nearestRankPercentile(50) ?? 0).rounded(to: 2) }),
            rtt_us: .init(
                samples: roundTripTimes.count, p50: (roundTripTimes.nearestRankPercentile(50) ?? 0).rounded(to: 1),
                p99: (roundTripTimes.nearestRankPercentile(99) ?? 0).rounded(to: 1)),
            throughput_mb_s: throughput.rounded(to: 1),
            rss_before_engine_mb: before.residentMB.rounded(to: 1),
            rss_mb: memory.residentMB.rounded(to: 1),
            peak_rss_mb: memory.peakResidentMB.rounded(to: 1)
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let encoded = try encoder.encode(report)
        guard references else { return String(decoding: encoded, as: UTF8.self) }
        var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] ?? [:]
        object["references"] = [
            "libwebrtc": LinkReference.run("scripts/bench/raw-link.sh"),
            "pion": LinkReference.run("scripts/bench/pion-link.sh"),
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// A reference program of `scripts/bench`, run as a child process after this benchmark (so they never
/// compete for the CPU): its JSON figures, or why there are none.
private enum LinkReference {
    static func run(_ script: String) -> Any {
        guard FileManager.default.isExecutableFile(atPath: script) else {
            return ["unavailable": "\(script) not found: run from the repository's root"]
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            return ["unavailable": "\(script) did not start: \(error)"]
        }
        // Read before waiting: a full pipe would block the child.
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let line = String(decoding: printed, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard process.terminationStatus == 0, let figures = try? JSONSerialization.jsonObject(with: Data(line.utf8)) else {
            let reason = String(decoding: complaint, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
            return ["unavailable": "\(script) exited with status \(process.terminationStatus): \(reason)"]
        }
        return figures
    }
}

/// Two connected links; the answerer echoes messages of up to 64 bytes and swallows larger ones.
/// The offerer's events are read by the timing code itself, so that a round trip has no extra hop.
private struct BenchPair {
    let offerer: PeerLink
    let answerer: PeerLink
    let echo: Task<Void, Never>
    var events: AsyncStream<PeerLinkEvent>.Iterator
    /// When each step of the connection ended (see ``LinkBenchmark/Report/Connect/steps_p50``).
    var steps: [String: ContinuousClock.Instant] = [:]

    static func connect(engine: WebRTCEngine, answeringEngine: WebRTCEngine) async throws -> BenchPair {
        let offerer = try engine.makeLink()
        let answerer = try answeringEngine.makeLink()
        let echo = Task {
            for await event in answerer.events {
                switch event {
                case .localCandidate(let candidate): try? await offerer.add(candidate: candidate)
                case .message(let bytes) where bytes.count <= 64: try? await answerer.send(bytes)
                default: break
                }
            }
        }
        var events = offerer.events.makeAsyncIterator()
        var steps: [String: ContinuousClock.Instant] = [:]
        let offer = try await offerer.makeOffer()
        steps["offer"] = .now
        let answer = try await answerer.accept(offer: offer)
        try await offerer.setAnswer(answer)
        steps["answer"] = .now
        loop: while let event = await events.next() {
            switch event {
            case .localCandidate(let candidate): try await answerer.add(candidate: candidate)
            case .stateChanged(.connected): steps["dtls_connected"] = .now
            case .opened: break loop
            case .closed: throw WebRTCError.closed
            default: continue
            }
        }
        steps["open"] = .now
        steps["ice_connected"] = offerer.iceConnectedAt
        return BenchPair(offerer: offerer, answerer: answerer, echo: echo, events: events, steps: steps)
    }

    mutating func roundTrip(_ bytes: [UInt8]) async throws -> [UInt8] {
        try await offerer.send(bytes)
        while let event = await events.next() {
            if case .message(let reply) = event { return reply }
            if event == .closed { break }
        }
        throw WebRTCError.closed
    }

    func close() {
        offerer.close()
        answerer.close()
    }

    func finish() async {
        await echo.value
    }
}

extension Double {
    fileprivate func rounded(to places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}

extension Duration {
    fileprivate var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
    fileprivate var microseconds: Double { milliseconds * 1000 }
}
