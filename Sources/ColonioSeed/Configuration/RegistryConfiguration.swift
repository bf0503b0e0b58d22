/// Where a seed registers its nodes: in its own memory (one seed per deployment), or in a PostgreSQL
/// database shared by several seeds.
///
/// JSON: absent, or `"registry": "memory"`, for the in-memory registry;
/// `"registry": {"postgres": "postgres://user@host:5432/db", "passwordEnvironment": "NAME",
/// "passwordFile": "path", "seedTimeoutSeconds": 10}` for PostgreSQL. The password never sits in the
/// configuration: it comes from the file, else the environment variable (default
/// `COLONIO_POSTGRES_PASSWORD`), else none (trust or peer authentication).
public enum RegistryConfiguration: Sendable, Equatable {
    /// ``InMemoryNetworkRegistry``: the default.
    case inMemory
    /// A PostgreSQL registry (module `ColonioSeedPostgres`).
    case postgres(PostgresRegistrySettings)
}

/// How a seed reaches the PostgreSQL registry it shares with the other seeds of its deployment.
public struct PostgresRegistrySettings: Sendable, Equatable {
    /// The environment variable read for the password when no file is named.
    public static let defaultPasswordEnvironment = "COLONIO_POSTGRES_PASSWORD"

    /// `postgres://user@host:port/database[?sslmode=disable|prefer|require]`, without a password.
    public var url: String
    /// The environment variable holding the password.
    public var passwordEnvironment: String
    /// A file holding the password (trailing newline ignored); relative paths are taken from the
    /// configuration file's folder by `colonio seed`.
    public var passwordFile: String?
    /// A seed whose heartbeat is older than this is taken as dead: its nodes are removed from the
    /// registry (unless they have resumed on another seed meanwhile).
    public var seedTimeoutSeconds: Int

    /// Creates settings.
    public init(
        url: String, passwordEnvironment: String = PostgresRegistrySettings.defaultPasswordEnvironment,
        passwordFile: String? = nil, seedTimeoutSeconds: Int = 10
    ) {
        self.url = url
        self.passwordEnvironment = passwordEnvironment
        self.passwordFile = passwordFile
        self.seedTimeoutSeconds = seedTimeoutSeconds
    }

    /// Checks what JSON cannot: a `postgres://` URL without a password, a sane timeout.
    public func validate() throws(SeedConfigurationError) {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw .invalid("registry.postgres must be a postgres:// URL (postgres://user@host:5432/database)")
        }
        let authority = url.drop(while: { $0 != "/" }).dropFirst(2).prefix(while: { $0 != "/" && $0 != "?" })
        if let at = authority.lastIndex(of: "@"), authority[..<at].contains(":") {
            throw .invalid(
                "registry.postgres must not contain the password; put it in passwordFile or the environment variable \(passwordEnvironment)")
        }
        guard (2...3600).contains(seedTimeoutSeconds) else {
            throw .invalid("registry.seedTimeoutSeconds must be between 2 and 3600")
        }
    }
}
