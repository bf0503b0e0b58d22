import ArgumentParser
import ColonioSeed
import Foundation
import Logging
import ServiceLifecycle

/// `colonio seed --config seed.json`: runs a seed until SIGINT/SIGTERM.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Run a seed server: sign-in, certificates, signaling relay, /healthz and /metrics.",
        discussion: """
            The configuration is a JSON file; see docs/seed.example.json. A relative keyFile is resolved \
            against the configuration file's folder; the key is generated on first start. Once listening, \
            one JSON line {"listening":{"host":...,"port":...}} is printed on standard output.

            Example: colonio seed --config docs/seed.example.json --port 0
            """
    )

    @Option(name: .long, help: "Path of the seed's JSON configuration file.")
    var config: String

    @Option(name: .long, help: "Override the configured port (0 picks a free one).")
    var port: Int?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

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
        var configuration = try SeedConfiguration.load(path: config)
        if let port { configuration.listen.port = port }
        let keyPath = Self.resolve(configuration.keyFile, relativeTo: config)
        let key = try SeedSigningKey.loadOrCreate(path: keyPath)
        let host = configuration.listen.host
        let server = SeedServer(
            configuration: configuration, signingKey: key, logger: logger,
            onListening: { port in
                // Unbuffered, so a parent process reading the pipe sees it at once.
                FileHandle.standardOutput.write(Data(#"{"listening":{"host":"\#(host)","port":\#(port)}}"#.utf8 + [0x0A]))
            })
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// `path` as is when absolute, else relative to the folder holding `file`.
    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        return URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
    }
}
