import Foundation

/// This process's limit on open files (`RLIMIT_NOFILE`), which caps how many connections a
/// benchmark can hold: `colonio bench seed` needs one socket per simulated node in this process and
/// as many in the seed, which inherits the limit.
enum FileDescriptorLimit {
    /// Raises the soft limit to the hard limit (an unprivileged process may) and returns the soft
    /// limit now in force; `nil` when it cannot be read.
    static func raiseToHardLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return nil }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        return Int(clamping: limit.rlim_cur)
    }

    #if os(Linux)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
