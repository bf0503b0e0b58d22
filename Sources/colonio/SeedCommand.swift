import ArgumentParser
import ColonioSeed
import ColonioSeedPostgres
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `colonio seed [--config seed.json]`: runs a seed until SIGINT/SIGTERM; without a configuration, one
/// local network `demo` (token `demo-token`) on 127.0.0.1:8080.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Run a seed server: sign-in, certificates, signaling relay, /healthz and /metrics.",
        discussion: """
            Without --config the seed serves one network, 'demo' (token 'demo-token', a 1000 x 1000 \
            plane, no STUN or TURN server: links between the nodes of one machine or LAN), on \
            127.0.0.1:8080. With --config, the configuration is a JSON file; see docs/seed.example.json.

            The signing key (certificates signed with it stay valid across restarts) is read from \
            --key-file, else from the configuration's keyFile (a relative path is resolved against the \
            configuration file's folder), else from seed.key in the state folder: $COLONIO_STATE_DIR, \
            else $XDG_STATE_HOME/colonio, else ~/.local/state/colonio. It is generated on first start. \
            Once listening, one JSON line {"listening":{"host":...,"port":...}} is printed on standard output.

            Several seeds serve one deployment when their configurations name the same PostgreSQL \
            database ("registry": {"postgres": "postgres://user@host:5432/db"}; the password comes from \
            passwordFile or $COLONIO_POSTGRES_PASSWORD) and they share one signing key file (docs/seed.md).

            TLS: with "tls": {"certificateChain": "fullchain.pem", "privateKey": "privkey.pem"} in the \
            configuration (relative paths against its folder), or --tls-certificate-chain and \
            --tls-private-key, the seed serves https:// and wss:// only. SIGHUP re-reads both files: new \
            connections get the new certificate; if the new files are unusable the seed logs why and keeps \
            the old one.

            Examples:
              colonio seed
              colonio seed --config docs/seed.example.json --port 0
              colonio seed --host 0.0.0.0 --key-file /var/lib/colonio/seed.key
              colonio seed --host 0.0.0.0 --tls-certificate-chain fullchain.pem --tls-private-key privkey.pem
            """
    )

    @Option(name: .long, help: "Path of the seed's JSON configuration file (default: one local 'demo' network).")
    var config: String?

    @Option(name: .long, help: "Override the configured address to listen on (e.g. 0.0.0.0 for every interface).")
    var host: String?

    @Option(name: .long, help: "Override the configured port (0 picks a free one).")
    var port: Int?

    @Option(name: .long, help: "The signing key's file (default: the configuration's keyFile, else seed.key in the state folder).")
    var keyFile: String?

    @Option(help: "PEM file of the seed's TLS certificate and intermediates (overrides the configuration's tls.certificateChain; needs --tls-private-key).")
    var tlsCertificateChain: String?

    @Option(help: "PEM file of the TLS certificate's private key (overrides tls.privateKey; needs --tls-certificate-chain).")
    var tlsPrivateKey: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (tlsCertificateChain == nil) == (tlsPrivateKey == nil) else {
            throw ValidationError("pass --tls-certificate-chain and --tls-private-key together")
        }
    }

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "colonio.seed")
        var configuration = try config.map { try SeedConfiguration.load(path: $0) } ?? Self.localDemo
        if let host { configuration.listen.host = host }
        if let port { configuration.listen.port = port }
        let keyPath = try keyFile ?? config.flatMap { config in
            configuration.keyFile.isEmpty ? nil : Self.resolve(configuration.keyFile, relativeTo: config)
        } ?? Self.defaultKeyPath()
        let key = try SeedSigningKey.loadOrCreate(path: keyPath)
        // Read before anything starts, so that a missing or mismatched file stops the seed at once.
        let tls = try tlsFiles(configuration).map { try SeedTLS(configuration: $0) }
        if config == nil {
            logger.notice("no --config: serving the local network 'demo' with token 'demo-token'")
        }
        let host = configuration.listen.host
        var services: [any Service] = []
        let registry: any NetworkRegistry
        switch configuration.registry {
        case .inMemory:
            registry = InMemoryNetworkRegistry()
        case .postgres(var settings):
            if let file = settings.passwordFile, let config { settings.passwordFile = Self.resolve(file, relativeTo: config) }
            let shared = try PostgresNetworkRegistry(settings: settings, logger: logger)
            logger.info("registering nodes in PostgreSQL", metadata: ["seed": "\(shared.seedID)"])
            // Listed first, so it stops after the server: the seed removes its rows once every
            // connection has closed.
            services.append(shared)
            registry = shared
        }
        let server = SeedServer(
            configuration: configuration, signingKey: key, registry: registry, tls: tls, logger: logger,
            onListening: { port in
                // Unbuffered, so a parent process reading the pipe sees it at once.
                FileHandle.standardOutput.write(Data(#"{"listening":{"host":"\#(host)","port":\#(port)}}"#.utf8 + [0x0A]))
            })
        if tls != nil { services.append(TLSReloadOnHangUp(server: server)) }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services + [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The TLS files from the flags, else from the configuration (relative to its folder).
    func tlsFiles(_ configuration: SeedConfiguration) -> SeedTLSConfiguration? {
        if let tlsCertificateChain, let tlsPrivateKey {
            return SeedTLSConfiguration(certificateChainFile: tlsCertificateChain, privateKeyFile: tlsPrivateKey)
        }
        guard var files = configuration.tls else { return nil }
        if let config {
            files.certificateChainFile = Self.resolve(files.certificateChainFile, relativeTo: config)
            files.privateKeyFile = Self.resolve(files.privateKeyFile, relativeTo: config)
        }
        return files
    }

    /// The seed of a first local run: one network on loopback, no external server.
    static var localDemo: SeedConfiguration {
        SeedConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 8080), keyFile: "",
            networks: [NetworkDefinition(name: "demo", tokens: ["demo-token"])])
    }

    /// `seed.key` in the state folder (created if missing): `$COLONIO_STATE_DIR`, else
    /// `$XDG_STATE_HOME/colonio`, else `~/.local/state/colonio`.
    static func defaultKeyPath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let folder: String
        if let explicit = environment["COLONIO_STATE_DIR"], !explicit.isEmpty {
            folder = explicit
        } else if let state = environment["XDG_STATE_HOME"], !state.isEmpty {
            folder = state + "/colonio"
        } else {
            folder = (environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path) + "/.local/state/colonio"
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("cannot create the state folder \(folder) for the seed's key (\(error)); pass --key-file")
        }
        return folder + "/seed.key"
    }

    /// `path` as is when absolute, else relative to the folder holding `file`.
    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
    }
}

/// Re-reads the seed's TLS certificate and key on every SIGHUP until shutdown (the server logs the outcome).
struct TLSReloadOnHangUp: Service {
    let server: SeedServer

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            try? server.reloadTLS()
        }
    }
}
