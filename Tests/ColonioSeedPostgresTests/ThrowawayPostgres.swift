import Foundation

/// A PostgreSQL server of Debian's `postgresql` package in a temporary folder, on a free loopback port,
/// run as `nobody` when the tests run as root; removed by ``remove()``.
final class ThrowawayPostgres: Sendable {
    /// The folder holding `initdb`, `pg_ctl` and `postgres`, if the package is installed.
    static let binaries: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "\(root)/\($0)/bin" }
            .first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }()

    /// Whether a throwaway server can run here: the package, and `runuser` plus `nobody` when root.
    static var isAvailable: Bool {
        guard binaries != nil else { return false }
        if ExternalCommand.isRoot {
            return FileManager.default.isExecutableFile(atPath: "/usr/sbin/runuser") && ExternalCommand.unprivilegedIDs != nil
        }
        return true
    }

    let folder: URL
    let port: Int
    private let bin: String

    /// `postgres://colonio@127.0.0.1:PORT/postgres?sslmode=disable` (trust authentication on loopback).
    var url: String { "postgres://colonio@127.0.0.1:\(port)/postgres?sslmode=disable" }

    private var data: String { folder.appendingPathComponent("data").path }

    /// Creates the cluster and starts the server; throws with its output when either fails.
    init() throws {
        guard let bin = Self.binaries else { throw ExternalCommandError("PostgreSQL is not installed (scripts/setup.sh installs it)") }
        self.bin = bin
        folder = try ExternalCommand.scratchFolder("colonio-pg")
        port = try ExternalCommand.freeLoopbackPort()
        try ExternalCommand.run(
            "\(bin)/initdb", ["-D", data, "-U", "colonio", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
            unprivileged: true, in: folder)
        try start()
    }

    /// Starts (or restarts) the server and waits until it accepts connections.
    func start() throws {
        let options = "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        try ExternalCommand.run(
            "\(bin)/pg_ctl",
            ["-D", data, "-l", folder.appendingPathComponent("server.log").path, "-o", options, "-w", "-t", "30", "start"],
            unprivileged: true, in: folder)
    }

    /// Stops the server: `fast` ends sessions cleanly, `immediate` is a crash (unlogged tables are
    /// emptied on the next start).
    func stop(mode: String = "fast") throws {
        try ExternalCommand.run("\(bin)/pg_ctl", ["-D", data, "-m", mode, "-w", "-t", "30", "stop"], unprivileged: true, in: folder)
    }

    /// Stops the server if it runs and deletes its folder.
    func remove() {
        _ = try? ExternalCommand.run(
            "\(bin)/pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "30", "stop"], unprivileged: true, in: folder)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `body` with a fresh server, removed afterwards whatever happens.
    static func with<T>(_ body: (ThrowawayPostgres) async throws -> T) async throws -> T {
        let server = try ThrowawayPostgres()
        do {
            let result = try await body(server)
            server.remove()
            return result
        } catch {
            server.remove()
            throw error
        }
    }
}
