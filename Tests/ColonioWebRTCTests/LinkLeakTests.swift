import ColonioWebRTC
import ColonioTesting
import Foundation
import Testing

extension WebRTCTests {
    /// Opening and closing many links must not accumulate descriptors, threads or memory.
    @Suite
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

        /// Connects a pair, exchanges a message, then closes it or just drops it (releasing the last
        /// reference must close the link too).
        static func cycle(engine: WebRTCEngine, drop: Bool = false) async throws {
            let pair = try await LinkPair.connect(engine: engine)
            try await pair.offerer.send([1, 2, 3])
            #expect(try await pair.answererInbox.message() == [1, 2, 3])
            if drop {
                await pair.abandon()
            } else {
                await pair.close()
            }
        }

        /// Waits (bounded) until usage is back within the limits; returns the last reading.
        static func settle(within limit: Duration, until ok: (Usage) -> Bool) async throws -> Usage {
            var usage = try Usage.now()
            _ = try await eventually(timeout: limit, every: .milliseconds(50)) {
                usage = try Usage.now()
                return ok(usage)
            }
            return usage
        }

        @Test func fiftyLinksOpenedAndClosedLeakNothing() async throws {
            let engine = try LinkPair.makeEngine()
            // Warm up: the first links allocate the engine's lasting state.
            for _ in 0..<3 { try await Self.cycle(engine: engine) }
            let baseline = try await Self.settle(within: .seconds(2)) { _ in false }
            for index in 0..<50 { try await Self.cycle(engine: engine, drop: index % 2 == 1) }
            // Each open link holds two UDP sockets (127.0.0.1 and ::1): 100 leaked links would hold 200. The
            // margins leave room for other suites running in parallel in the same process.
            let after = try await Self.settle(within: .seconds(5)) {
                $0.descriptors <= baseline.descriptors + 40 && $0.threads <= baseline.threads + 8
            }
            #expect(after.descriptors <= baseline.descriptors + 40, "baseline \(baseline), after \(after)")
            #expect(after.threads <= baseline.threads + 8, "baseline \(baseline), after \(after)")
            #expect(after.residentMB <= baseline.residentMB + 64, "baseline \(baseline), after \(after)")
        }

        @Test func enginesReleaseTheirThreads() async throws {
            do {
                let engine = try LinkPair.makeEngine()
                try await Self.cycle(engine: engine)
            }
            let baseline = try await Self.settle(within: .seconds(2)) { _ in false }
            // Each engine has a thread and a few descriptors of its own: 20 leaked engines would hold 20
            // threads and 40+ descriptors.
            for _ in 0..<20 {
                let engine = try LinkPair.makeEngine()
                try await Self.cycle(engine: engine)
            }
            let after = try await Self.settle(within: .seconds(5)) {
                $0.descriptors <= baseline.descriptors + 20 && $0.threads <= baseline.threads + 8
            }
            #expect(after.descriptors <= baseline.descriptors + 20, "baseline \(baseline), after \(after)")
            #expect(after.threads <= baseline.threads + 8, "baseline \(baseline), after \(after)")
        }
    }
}
