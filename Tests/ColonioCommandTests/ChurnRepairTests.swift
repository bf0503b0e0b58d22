import Foundation
import Testing

@testable import colonio

/// Real `colonio node` processes on loopback, two of them SIGKILLed at once while a KVS and request
/// workload runs (the run of `colonio bench churn`): every survivor's ring lists become exact again and
/// no acknowledged write is lost. The bound is generous for a loaded machine; the benchmark measures speed.
@Suite(.timeLimit(.minutes(2))) struct ChurnRepairTests {
    /// The package's `colonio` executable: next to the test bundle (both are build products).
    static func executable() throws -> String {
        var folders: [URL] = []
        if let bundle = Bundle.main.executableURL { folders.append(bundle.deletingLastPathComponent()) }
        folders.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for folder in folders {
            let candidate = folder.appendingPathComponent("colonio").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw BenchFailure("no colonio executable in \(folders.map(\.path)); run swift build --build-tests first")
    }

    /// Eight nodes; the two killed are two places apart on the ring, so the node between them loses its
    /// first successor and first predecessor together (the case that once never repaired).
    @Test func twoKilledNodesTwoPlacesApartAreRepairedWithoutLostWrites() async throws {
        let options = ChurnRealRun.Options(
            nodes: 8, kill: 2, clients: 2, beforeSeconds: 1, afterSeconds: 1, repairLimitSeconds: 20,
            pollMilliseconds: 200, seed: 7, checkPubSub: false, executable: try Self.executable())
        let result = try await ChurnRealRun(options: options).run()
        #expect(result.killed == 2)
        #expect(result.ringExactMilliseconds != nil, "ring lists not exact within 20 s: \(result.json)")
        #expect(result.ringExactAtEnd, "ring lists changed again after the repair: \(result.json)")
        #expect(result.acknowledgedWrites > 0)
        #expect(result.lostWrites == 0, "\(result.json)")
        #expect(result.unreadableWrites == 0, "\(result.json)")
    }
}
