#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's file descriptor limit, which bounds how many connections the seed can hold.
///
/// Why: a seed with 1,024 descriptors was starved by 1,100 idle connections: once they were used up,
/// it could accept nothing, not even its own health checks. The connection cap is kept below the
/// limit, leaving a reserve for the listener, files and the registry.
enum DescriptorLimit {
    /// Descriptors kept free of connections.
    static let reserve = 64

    /// `configured`, lowered to the soft descriptor limit minus ``reserve`` (at least 1).
    static func connectionsAllowed(configured: Int) -> Int {
        guard let limit = softLimit() else { return configured }
        return max(1, min(configured, limit - reserve))
    }

    private static func softLimit() -> Int? {
        var limit = rlimit()
        #if os(Linux)
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        #else
        guard getrlimit(RLIMIT_NOFILE, &limit) == 0 else { return nil }
        #endif
        // RLIM_INFINITY is the largest value: no limit to keep below.
        guard UInt64(limit.rlim_cur) < UInt64(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }
}
