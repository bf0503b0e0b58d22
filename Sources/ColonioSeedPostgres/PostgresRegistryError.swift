/// Why the PostgreSQL registry could not be set up or could not answer; the message says what to do.
public enum PostgresRegistryError: Error, Equatable, CustomStringConvertible {
    /// `registry.postgres` is not a URL this registry understands.
    case invalidURL(String, reason: String)
    /// The password file could not be read.
    case unreadablePasswordFile(path: String, reason: String)
    /// The database holds a newer schema than this seed knows: another seed of a later version migrated it.
    case schemaTooNew(found: Int, supported: Int)
    /// The database did not answer within the registry's operation timeout.
    case timedOut(operation: String, seconds: Double)
    /// The database refused or failed an operation.
    case database(operation: String, reason: String)

    public var description: String {
        switch self {
        case .invalidURL(let url, let reason):
            "registry.postgres \"\(url)\" is unusable (\(reason)); write postgres://user@host:5432/database"
        case .unreadablePasswordFile(let path, let reason):
            "cannot read the registry's password file \(path) (\(reason)); check the path and its permissions"
        case .schemaTooNew(let found, let supported):
            "the registry database has schema version \(found), this seed knows up to \(supported); upgrade this seed"
        case .timedOut(let operation, let seconds):
            "the registry database did not answer \(operation) within \(seconds) s; is PostgreSQL running, reachable and not overloaded?"
        case .database(let operation, let reason):
            "the registry database failed \(operation): \(reason)"
        }
    }
}
