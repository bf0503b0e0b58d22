import Foundation

/// Runs a program to completion (bounded in time), as an unprivileged user when this process is root,
/// with its output in a file (a daemon it starts may keep a pipe open for ever).
enum ExternalCommand {
    /// The user servers run as when the tests run as root (PostgreSQL refuses to run as root).
    static let unprivilegedUser = "nobody"

    static var isRoot: Bool { geteuid() == 0 }

    /// `nobody`'s user and group IDs, for handing it the folders it writes.
    static var unprivilegedIDs: (uid: uid_t, gid: gid_t)? {
        guard let entry = getpwnam(unprivilegedUser) else { return nil }
        return (entry.pointee.pw_uid, entry.pointee.pw_gid)
    }

    /// Runs `executable` with `arguments`; throws with its output when it fails or outlives `timeout`.
    ///
    /// Spawned and reaped here (posix_spawn, waitpid) rather than with Foundation's `Process`, whose
    /// termination watch did not see `pg_ctl start` end while the server it started lived on.
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], unprivileged: Bool = false, in folder: URL,
        timeout: Duration = .seconds(60)
    ) throws -> String {
        // `env -C` sets the working folder (the unprivileged user may not enter the current one).
        let inFolder = ["/usr/bin/env", "-C", folder.path, executable] + arguments
        let command = unprivileged && isRoot ? ["/usr/sbin/runuser", "-u", unprivilegedUser, "--"] + inFolder : inFolder
        let outputFile = folder.appendingPathComponent("command-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let argv = command.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw ExternalCommandError("cannot start \(command[0]): error \(spawned)") }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw ExternalCommandError("\(command) did not finish within \(timeout)")
            }
            usleep(10_000)
        }
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        // Exited normally (low 7 bits 0) with code 0.
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw ExternalCommandError("\(command) failed (status \(status)): \(text)")
        }
        return text
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ExternalCommandError("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw ExternalCommandError("bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw ExternalCommandError("getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A fresh folder under the temporary directory; handed to the unprivileged user when root.
    static func scratchFolder(_ prefix: String) throws -> URL {
        let folder = URL(fileURLWithPath: "/tmp").appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        if isRoot, let ids = unprivilegedIDs {
            guard chown(folder.path, ids.uid, ids.gid) == 0 else {
                throw ExternalCommandError("cannot hand \(folder.path) to \(unprivilegedUser)")
            }
        }
        return folder
    }
}

struct ExternalCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
