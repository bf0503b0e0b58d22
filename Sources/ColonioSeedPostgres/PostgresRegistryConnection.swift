import ColonioSeed
import Foundation
import PostgresNIO

/// Turns ``PostgresRegistrySettings`` into a `PostgresClient` configuration: the URL's parts plus the
/// password from its file or environment variable.
enum PostgresRegistryConnection {
    /// Parses `settings.url`; `password` is the one read by ``password(settings:)``.
    static func clientConfiguration(
        settings: PostgresRegistrySettings, password: String?
    ) throws(PostgresRegistryError) -> PostgresClient.Configuration {
        guard let components = URLComponents(string: settings.url), let host = components.host, !host.isEmpty else {
            throw .invalidURL(settings.url, reason: "no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw .invalidURL(settings.url, reason: "no user name")
        }
        var database = components.path
        while database.hasPrefix("/") { database.removeFirst() }
        let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw .invalidURL(settings.url, reason: "sslmode must be disable, prefer or require")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: user, password: password,
            database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.connectTimeout = .seconds(3)
        // Registrations are rebuilt by the seeds after a database crash (they re-register the nodes they
        // hold), so a commit need not wait for the disk.
        configuration.options.additionalStartupParameters = [("synchronous_commit", "off")]
        configuration.options.maximumConnections = 16
        return configuration
    }

    /// The password: the file's first line when a file is named, else the environment variable, else none.
    static func password(settings: PostgresRegistrySettings) throws(PostgresRegistryError) -> String? {
        if let path = settings.passwordFile {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                return String(text.prefix(while: { $0 != "\n" && $0 != "\r" }))
            } catch {
                throw .unreadablePasswordFile(path: path, reason: "\(error)")
            }
        }
        return ProcessInfo.processInfo.environment[settings.passwordEnvironment]
    }
}
