import ArgumentParser
import Foundation

/// `colonio bench nat`: connect time and RTT of host, srflx and relay links between real nodes in the
/// NAT lab (network namespaces, NAT routers, coturn), measured by `scripts/nat-test.py --bench`, which
/// drives this executable's `colonio node` inside the lab. Needs root and the package's `scripts/`.
struct NATBenchmark: Benchmark {
    static let configuration = CommandConfiguration(
        commandName: "nat",
        abstract: "Connect time and RTT of host/srflx/relay links through real NATs in network namespaces (root).",
        discussion: """
            Needs root, coturn and nftables (make nat-bench installs them) and the package's scripts/ folder,
            found above the current directory or the executable. Example: sudo .build/release/colonio bench nat
            """
    )

    @Option(name: .customLong("repeat"), help: "Pairs per kind of link (at most 50).") var pairs = 10
    @Option(help: "Request round trips per pair.") var requests = 20
    @OptionGroup var output: BenchOutputOptions

    func validate() throws {
        guard (1...50).contains(pairs), (1...1_000).contains(requests) else {
            throw ValidationError("--repeat must be 1 to 50 and --requests 1 to 1000")
        }
    }

    /// Why the benchmark cannot run here, or `nil` when it can.
    static func unavailableReason() -> String? {
        if ProcessInfo.processInfo.environment["COLONIO_BENCH_SKIP_NAT"] != nil {
            return "COLONIO_BENCH_SKIP_NAT is set (make bench-smoke leaves the NAT lab to make nat-test)"
        }
        if getuid() != 0 { return "needs root for network namespaces (sudo colonio bench nat)" }
        if script() == nil { return "scripts/nat-test.py not found above the current directory or the executable" }
        return nil
    }

    func figures() async throws -> String {
        if let reason = Self.unavailableReason() { throw ValidationError("bench nat \(reason)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", Self.script()!, "--bench", "--repeat", "\(pairs)", "--requests", "\(requests)",
            "--colonio", try SeedBenchmark.currentExecutable(),
        ]
        let standardOutput = Pipe()
        process.standardOutput = standardOutput
        try process.run()
        let data = standardOutput.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            var report = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            throw ValidationError("scripts/nat-test.py --bench failed (exit \(process.terminationStatus)); its log is above")
        }
        report["cores"] = ProcessStatus.allowedCores()
        return String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self)
    }

    /// `scripts/nat-test.py` in the current directory or one of its parents, or above the executable
    /// (`.build/release/colonio` lives three levels below the package).
    static func script() -> String? {
        let executable = (try? SeedBenchmark.currentExecutable()).map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
        for start in [URL(fileURLWithPath: FileManager.default.currentDirectoryPath), executable].compactMap({ $0 }) {
            var folder = start.standardizedFileURL
            for _ in 0..<6 {
                let candidate = folder.appendingPathComponent("scripts/nat-test.py").path
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
                folder.deleteLastPathComponent()
            }
        }
        return nil
    }
}
