import ColonioCore
import Foundation
import Testing

@testable import colonio

/// Real `colonio node` processes on loopback, two of them SIGKILLed at once while a KVS and request
/// workload runs (the run of `colonio bench churn`): every survivor's ring lists become exact again and
/// no acknowledged write is lost. About 40 s on 2 loaded cores (debug build), 20 s of it the wait for the
/// joint phases of the formation to end before the kill; the bound is the backstop.
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
    /// first successor and first predecessor together (the case that once never repaired), and the keys
    /// of the first killed lose two of their three replicas (never served again, by design; the workload
    /// keeps to the other keys, which must all read back).
    @Test func twoKilledNodesTwoPlacesApartAreRepairedWithoutLostWrites() async throws {
        let options = ChurnRealRun.Options(
            nodes: 8, kill: 2, clients: 2, beforeSeconds: 1, afterSeconds: 1, repairLimitSeconds: 20,
            pollMilliseconds: 200, seed: 7, formationLimit: .seconds(40), readBackLimit: .seconds(20), checkPubSub: false,
            executable: try Self.executable())
        let result = try await ChurnRealRun(options: options).run()
        #expect(result.killed == 2)
        #expect(result.keyspaceMajorityLost > 0, "two places apart: the first victim's keys lose a majority")
        #expect(result.ringExactMilliseconds != nil, "ring lists not exact within 20 s: \(result.json)")
        #expect(result.ringExactAtEnd, "ring lists changed again after the repair: \(result.json)")
        #expect(result.acknowledgedWrites > 0)
        #expect(result.lostWrites == 0, "\(result.json)")
        #expect(result.unreadableWrites == 0, "\(result.json)")
    }

    /// Keys are placed as the KVS places them: the arc a node owns is replicated on it and its two
    /// successors, so killing two nodes two places apart loses exactly the first one's arc.
    @Test func keysThatLoseAMajorityAreKnownBeforeTheKill() throws {
        let ids = (1...8).map { String(repeating: "0", count: 31) + String($0, radix: 16) }.map { $0.uppercased() }
        let placement = ChurnKeyPlacement(ids: ids.map { $0.lowercased() }, victims: [ids[2].lowercased(), ids[4].lowercased()])
        let position = { (value: UInt128) in NodeID(value) }
        #expect(!placement.keepsMajority(position(3)))
        #expect(placement.keepsMajority(position(2)))
        #expect(placement.keepsMajority(position(4)))
        #expect(placement.keepsMajority(position(5)))
        // The arc of node 3 is [3, 4): one ID wide.
        #expect(placement.majorityLostShare == 1 / 0x1p128)
        let (keys, _) = placement.keys(prefix: "k", count: 5)
        #expect(keys.count == 5)
        #expect(keys.allSatisfy { placement.keepsMajority(KVSPlacement.position(ofKey: KVSKey($0))) })
    }
}
