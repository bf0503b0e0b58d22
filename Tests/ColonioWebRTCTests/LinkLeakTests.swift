import ColonioWebRTC
import Foundation
import Testing

/// Opening and closing many links must not accumulate descriptors, threads or memory.
@Suite(.serialized)
struct LinkLeakTests {
    struct Usage: CustomStringConvertible {
        let descriptors: Int
        let threads: Int
        let residentMB: Double
        var description: String { "fds \(descriptors), threads \(threads), RSS \(Int(residentMB)) MB" }

        static func now() throws -> Usage {
            let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            func field(_ name: String) -> Int {
                let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
                return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "") ?? 0
            }
            return Usage(
                descriptors: descriptors, threads: field("Threads"), residentMB: Double(field("VmRSS")) / 1024)
        }
    }

    static func cycle(engine: WebRTCEngine) async throws {
        let pair = try await LinkPair.connect(engine: engine)
        try await pair.offerer.send([1, 2, 3])
        #expect(try await pair.answererInbox.message() == [1, 2, 3])
        await pair.close()
    }

    /// Waits (bounded) until usage is back within the limits; returns the last reading.
    static func settle(within limit: Duration, until ok: (Usage) -> Bool) async throws -> Usage {
        let deadline = ContinuousClock.now + limit
        var usage = try Usage.now()
        while !ok(usage) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            usage = try Usage.now()
        }
        return usage
    }

    @Test func fiftyLinksOpenedAndClosedLeakNothing() async throws {
        let engine = try LinkPair.makeEngine()
        // Warm up: the first links allocate the engine's lasting state.
        for _ in 0..<3 { try await Self.cycle(engine: engine) }
        let baseline = try await Self.settle(within: .seconds(2)) { _ in false }
        for _ in 0..<50 { try await Self.cycle(engine: engine) }
        // Each open link holds a few UDP sockets and no thread; 50 leaked links would hold 100+ sockets.
        let after = try await Self.settle(within: .seconds(5)) {
            $0.descriptors <= baseline.descriptors + 8 && $0.threads <= baseline.threads + 4
        }
        #expect(after.descriptors <= baseline.descriptors + 8, "baseline \(baseline), after \(after)")
        #expect(after.threads <= baseline.threads + 4, "baseline \(baseline), after \(after)")
        #expect(after.residentMB <= baseline.residentMB + 64, "baseline \(baseline), after \(after)")
    }

    @Test func enginesReleaseTheirThreads() async throws {
        do {
            let engine = try LinkPair.makeEngine()
            try await Self.cycle(engine: engine)
        }
        let baseline = try await Self.settle(within: .seconds(2)) { _ in false }
        for _ in 0..<10 {
            let engine = try LinkPair.makeEngine()
            try await Self.cycle(engine: engine)
        }
        let after = try await Self.settle(within: .seconds(5)) {
            $0.descriptors <= baseline.descriptors + 8 && $0.threads <= baseline.threads + 4
        }
        #expect(after.descriptors <= baseline.descriptors + 8, "baseline \(baseline), after \(after)")
        #expect(after.threads <= baseline.threads + 4, "baseline \(baseline), after \(after)")
    }
}
