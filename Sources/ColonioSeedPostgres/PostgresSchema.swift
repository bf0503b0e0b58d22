import Logging
import PostgresNIO

/// The registry's tables, created and migrated by whichever seed starts first, versioned in
/// `colonio_schema_version`.
///
/// Every table is `UNLOGGED`: registrations describe live connections, which a database crash ends
/// anyway for the seeds' view, and each seed registers the nodes it holds again when its database
/// connection returns. Skipping the write-ahead log is what lets one database keep up with several seeds.
enum PostgresSchema {
    /// Any number, the same in every seed: serializes migrations of concurrently starting seeds.
    static let migrationLock: Int64 = 0x636F_6C6F_6E69_6F01

    /// Migrations in order; the version after applying `migrations[i]` is `i + 1`.
    static let migrations: [[String]] = [
        [
            """
            CREATE UNLOGGED TABLE colonio_seeds (
                seed_id text PRIMARY KEY,
                heartbeat timestamptz NOT NULL DEFAULT now())
            """,
            // node_id holds the 16 bytes of the ID big-endian, so bytea order is ring order.
            """
            CREATE UNLOGGED TABLE colonio_nodes (
                network text NOT NULL,
                node_id bytea NOT NULL,
                seed_id text NOT NULL,
                connection bigint NOT NULL,
                PRIMARY KEY (network, node_id))
            """,
            "CREATE INDEX colonio_nodes_by_seed ON colonio_nodes (seed_id)",
            // Counted here rather than with count(*), so that a sign-in checks its network's limit
            // with one row update however many nodes the network has.
            """
            CREATE UNLOGGED TABLE colonio_network_sizes (
                network text PRIMARY KEY,
                nodes integer NOT NULL)
            """,
            // Signals too large for a NOTIFY payload wait here until the receiving seed takes them.
            """
            CREATE UNLOGGED TABLE colonio_signals (
                id bigserial PRIMARY KEY,
                frame bytea NOT NULL,
                queued timestamptz NOT NULL DEFAULT now())
            """,
        ]
    ]

    static var currentVersion: Int { migrations.count }

    /// Brings the schema to ``currentVersion``; returns the version found before.
    static func migrate(client: PostgresClient, logger: Logger) async throws -> Int {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS colonio_schema_version (version integer NOT NULL)", logger: logger)
            var found = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM colonio_schema_version", logger: logger
            ).decode(Int.self) {
                found = version
            }
            guard found <= currentVersion else {
                throw PostgresRegistryError.schemaTooNew(found: found, supported: currentVersion)
            }
            for version in found..<currentVersion {
                for statement in migrations[version] {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
            }
            if found < currentVersion {
                try await connection.query("DELETE FROM colonio_schema_version", logger: logger)
                try await connection.query(
                    "INSERT INTO colonio_schema_version (version) VALUES (\(currentVersion))", logger: logger)
            }
            return found
        }
    }
}
