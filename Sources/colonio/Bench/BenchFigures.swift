import Foundation

extension Array where Element: Comparable {
    /// The nearest-rank `percent` percentile of this array, which must be sorted ascending;
    /// `nil` when empty. Shared by every benchmark so their p50/p99 mean the same thing.
    func nearestRankPercentile(_ percent: Double) -> Element? {
        guard !isEmpty else { return nil }
        let rank = Int((percent / 100 * Double(count)).rounded(.up)) - 1
        return self[Swift.min(Swift.max(rank, 0), count - 1)]
    }
}

/// Figures of a process from `/proc/<pid>/status`.
enum ProcessStatus {
    /// Resident and peak resident memory in MB of process `pid` ("self": this process).
    static func read(pid: String = "self") -> (residentMB: Double, peakResidentMB: Double) {
        (Double(kilobytes("VmRSS", pid: pid)) / 1024, Double(kilobytes("VmHWM", pid: pid)) / 1024)
    }

    /// A `kB` field (`VmRSS`, `VmHWM`, ...) of process `pid`, in bytes.
    static func bytes(_ name: String, pid: String = "self") -> Int {
        kilobytes(name, pid: pid) * 1024
    }

    /// User plus system CPU time of process `pid` ("self": this process, all threads) so far, in
    /// seconds, from `/proc/<pid>/stat`.
    static func cpuSeconds(pid: String = "self") -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPUs this process may run on (1 under `taskset -c 0`).
    static func allowedCores() -> Int {
        let list = text(of: "Cpus_allowed_list", pid: "self")
        let count = list.split(separator: ",").reduce(0) { total, range in
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            return total + (bounds.count == 2 ? bounds[1] - bounds[0] + 1 : 1)
        }
        return count > 0 ? count : ProcessInfo.processInfo.activeProcessorCount
    }

    private static func text(of name: String, pid: String) -> String {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
        return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
    }

    private static func kilobytes(_ name: String, pid: String) -> Int {
        Int(text(of: name, pid: pid).split(separator: " ").first ?? "") ?? 0
    }
}
