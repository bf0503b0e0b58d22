import ArgumentParser
import Foundation

/// A throwaway PostgreSQL for `colonio bench seed --registry postgres` without `--postgres`: Debian's
/// `postgresql` package, a cluster in a temporary folder on a free loopback port, run as `nobody`
/// when the benchmark runs as root; removed by ``stop()``.
final class BenchPostgres {
    let folder: URL
    let port: Int
    private let bin: String

    /// `postgres://colonio@127.0.0.1:PORT/postgres?sslmode=disable`.
    var url: String { "postgres://colonio@127.0.0.1:\(port)/postgres?sslmode=disable" }

    init() throws {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        guard let bin = versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }).map({ "\(root)/\($0)/bin" })
            .first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") })
        else {
            throw ValidationError(
                "--registry postgres needs --postgres URL or Debian's postgresql package (COLONIO_SETUP_EXTRAS=postgres scripts/setup.sh)")
        }
        self.bin = bin
        folder = URL(fileURLWithPath: "/tmp/colonio-bench-pg-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if geteuid() == 0, let nobody = getpwnam("nobody") {
            chown(folder.path, nobody.pointee.pw_uid, nobody.pointee.pw_gid)
        }
        port = Int.random(in: 20_000...40_000)
        let data = folder.appendingPathComponent("data").path
        try run("\(bin)/initdb", ["-D", data, "-U", "colonio", "--auth=trust", "-E", "UTF8", "--no-sync"])
        let options = "-p \(port) -k \(folder.path) -c listen_addresses=127.0.0.1 -c max_connections=200"
        try run("\(bin)/pg_ctl", ["-D", data, "-l", folder.appendingPathComponent("log").path, "-o", options, "-w", "start"])
    }

    /// The server's processes' user plus system CPU time so far, in seconds (the postmaster and its
    /// children, which include each connection's backend).
    func cpuSeconds() -> Double {
        guard let pidFile = try? String(contentsOfFile: folder.appendingPathComponent("data/postmaster.pid").path, encoding: .utf8),
            let postmaster = pidFile.split(separator: "\n").first.map(String.init)
        else { return 0 }
        var total = ProcessStatus.cpuSeconds(pid: postmaster)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int(entry) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, fields[1] == postmaster { total += ProcessStatus.cpuSeconds(pid: entry) }
        }
        return total
    }

    func stop() {
        try? run("\(bin)/pg_ctl", ["-D", folder.appendingPathComponent("data").path, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs a PostgreSQL program to completion (as `nobody` when root). Spawned and reaped here:
    /// Foundation's `Process` did not see `pg_ctl start` end while the server it started lived on.
    private func run(_ executable: String, _ arguments: [String]) throws {
        let inFolder = ["/usr/bin/env", "-C", folder.path, executable] + arguments
        let command = geteuid() == 0 ? ["/usr/sbin/runuser", "-u", "nobody", "--"] + inFolder : inFolder
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let argv = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        guard posix_spawn(&pid, command[0], &actions, nil, argv, environ) == 0 else {
            throw ValidationError("cannot start \(executable)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw ValidationError("\(executable) failed (status \(status)); see \(folder.path)")
        }
    }
}
