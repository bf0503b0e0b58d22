import ColonioCore
import Foundation

/// Everything a seed needs: where to listen, where its key lives, its limits and its networks.
///
/// Read from a JSON file with ``load(path:)``; see `docs/seed.example.json`. Every field except
/// `networks` has a default.
public struct SeedConfiguration: Sendable {
    /// Address and port to listen on.
    public var listen: ListenAddress
    /// Path of the seed's Ed25519 private key; created (mode 0600) on first start. Empty (the default):
    /// `colonio seed` keeps it in its state folder (`colonio seed --help`).
    public var keyFile: String
    /// Per-connection and per-node limits.
    public var limits: SeedLimitsConfiguration
    /// The application networks this seed serves.
    public var networks: [NetworkDefinition]
    /// Where nodes are registered: in memory (the default), or in PostgreSQL shared by several seeds.
    public var registry: RegistryConfiguration = .inMemory
    /// The certificate and key of `https://` and `wss://`; `nil` (the default): plain `http://` and
    /// `ws://`, for loopback, a LAN, or behind a proxy that terminates TLS.
    public var tls: SeedTLSConfiguration?
    /// Directory whose `colonio.js` (with `colonio-internal.js`), `colonio.wasm` and demo page (`index.html`,
    /// `demo.js`) the seed serves at `/`; `nil` serves none. Defaults to the package's `Web` folder when it
    /// exists (a source checkout).
    public var webDirectory: String? = SeedConfiguration.packageWebDirectory

    /// Creates a configuration.
    public init(
        listen: ListenAddress = ListenAddress(), keyFile: String = "",
        limits: SeedLimitsConfiguration = SeedLimitsConfiguration(), networks: [NetworkDefinition]
    ) {
        self.listen = listen
        self.keyFile = keyFile
        self.limits = limits
        self.networks = networks
    }

    /// The package's `Web` folder, if this build runs from a source checkout that has one.
    public static var packageWebDirectory: String? {
        let web = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Web").path
        return FileManager.default.fileExists(atPath: web + "/colonio.js") ? web : nil
    }

    /// Reads and validates a JSON configuration file.
    public static func load(path: String) throws(SeedConfigurationError) -> SeedConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .unreadableFile(path: path, reason: "\(error)")
        }
        return try decode(json: data)
    }

    /// Decodes and validates a JSON configuration.
    public static func decode(json: Data) throws(SeedConfigurationError) -> SeedConfiguration {
        let configuration: SeedConfiguration
        do {
            configuration = try JSONDecoder().decode(SeedConfiguration.self, from: json)
        } catch let error as SeedConfigurationError {
            throw error
        } catch {
            throw .invalidJSON(reason: "\(error)")
        }
        try configuration.validate()
        return configuration
    }

    /// Checks the rules JSON cannot express: unique network names, at least one token, sane limits,
    /// and settings the nodes' decoders would accept.
    public func validate() throws(SeedConfigurationError) {
        guard !networks.isEmpty else { throw .invalid("declare at least one network in \"networks\"") }
        var names = Set<String>()
        for network in networks {
            try network.validate()
            guard names.insert(network.name).inserted else {
                throw .invalid("network \"\(network.name)\" is declared twice")
            }
        }
        try limits.validate()
        if case .postgres(let settings) = registry { try settings.validate() }
        try tls?.validate()
    }

    /// The network called `name`, if declared.
    public func network(named name: String) -> NetworkDefinition? {
        networks.first { $0.name == name }
    }
}

/// Where the seed listens.
public struct ListenAddress: Sendable, Equatable {
    /// Host name or address to bind.
    public var host: String
    /// TCP port; 0 picks a free one.
    public var port: Int

    /// Creates an address; the default is loopback port 8080.
    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

/// Limits that protect the seed from misbehaving clients.
public struct SeedLimitsConfiguration: Sendable, Equatable {
    /// Largest accepted frame; larger ones get `frameTooLarge` (much larger ones close the socket).
    public var maximumFrameBytes: Int
    /// Frames per second a connection may send on average (bursts up to the same number).
    public var framesPerSecond: Int
    /// How long a certificate is valid after sign-in or renewal.
    public var certificateLifetimeSeconds: Int
    /// How often clients are told to send a keepalive.
    public var keepaliveIntervalMilliseconds: Int
    /// A connection silent this long is closed and its node unregistered.
    public var keepaliveTimeoutMilliseconds: Int
    /// Bytes queued for one slow client before further frames to it are dropped.
    public var outboundQueueBytes: Int
    /// A WebSocket must sign in this long after its upgrade or is closed (1008); pings and keepalive
    /// frames do not extend it, so a client cannot hold a connection without a token.
    public var signInTimeoutMilliseconds: Int
    /// An HTTP request (head and body) must arrive completely within this time, and a new connection
    /// must send its first request within it; otherwise the connection is closed.
    public var requestTimeoutMilliseconds: Int
    /// Open TCP connections the seed accepts in total; beyond it new connections are closed at once.
    /// The seed also keeps the number below its descriptor limit (`ulimit -n`) minus a reserve.
    public var maximumConnections: Int
    /// Open TCP connections per client IP address; beyond it that address's new connections are closed.
    public var maximumConnectionsPerAddress: Int
    /// Failed sign-ins (bad token, key or resume) an IP address may make per minute (in bursts of as
    /// many); beyond it every sign-in from that address gets `signInRateLimited` until time refills it.
    public var failedSignInsPerMinutePerAddress: Int
    /// Log lines about refused frames and connections per second, for the whole seed; the rest are
    /// counted in the metrics and summarized in the next line that is written.
    public var refusalLogLinesPerSecond: Int

    /// Creates limits with defaults suitable for production.
    public init(
        maximumFrameBytes: Int = 64 * 1024, framesPerSecond: Int = 100,
        certificateLifetimeSeconds: Int = 24 * 3600, keepaliveIntervalMilliseconds: Int = 20_000,
        keepaliveTimeoutMilliseconds: Int = 60_000, outboundQueueBytes: Int = 256 * 1024,
        signInTimeoutMilliseconds: Int = 10_000, requestTimeoutMilliseconds: Int = 10_000,
        maximumConnections: Int = 10_000, maximumConnectionsPerAddress: Int = 256,
        failedSignInsPerMinutePerAddress: Int = 20, refusalLogLinesPerSecond: Int = 10
    ) {
        self.maximumFrameBytes = maximumFrameBytes
        self.framesPerSecond = framesPerSecond
        self.certificateLifetimeSeconds = certificateLifetimeSeconds
        self.keepaliveIntervalMilliseconds = keepaliveIntervalMilliseconds
        self.keepaliveTimeoutMilliseconds = keepaliveTimeoutMilliseconds
        self.outboundQueueBytes = outboundQueueBytes
        self.signInTimeoutMilliseconds = signInTimeoutMilliseconds
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerAddress = maximumConnectionsPerAddress
        self.failedSignInsPerMinutePerAddress = failedSignInsPerMinutePerAddress
        self.refusalLogLinesPerSecond = refusalLogLinesPerSecond
    }

    /// Largest single WebSocket message the transport accepts; between ``maximumFrameBytes`` and
    /// this, frames get a `frameTooLarge` error frame, beyond it the socket is closed (1009).
    var transportMessageBytes: Int { max(maximumFrameBytes * 4, 1 << 20) }

    func validate() throws(SeedConfigurationError) {
        guard maximumFrameBytes >= 1024, maximumFrameBytes <= SeedLimits.frameBytes else {
            throw .invalid("limits.maximumFrameBytes must be between 1024 and \(SeedLimits.frameBytes)")
        }
        guard framesPerSecond >= 1 else { throw .invalid("limits.framesPerSecond must be at least 1") }
        guard certificateLifetimeSeconds >= 60 else {
            throw .invalid("limits.certificateLifetimeSeconds must be at least 60")
        }
        guard keepaliveIntervalMilliseconds >= 10, keepaliveIntervalMilliseconds <= Int(UInt32.max) else {
            throw .invalid("limits.keepaliveIntervalMilliseconds must be at least 10")
        }
        guard keepaliveTimeoutMilliseconds > keepaliveIntervalMilliseconds else {
            throw .invalid("limits.keepaliveTimeoutMilliseconds must exceed keepaliveIntervalMilliseconds")
        }
        guard outboundQueueBytes >= maximumFrameBytes else {
            throw .invalid("limits.outboundQueueBytes must be at least maxFrameBytes")
        }
        guard signInTimeoutMilliseconds >= 100 else {
            throw .invalid("limits.signInTimeoutMilliseconds must be at least 100")
        }
        guard requestTimeoutMilliseconds >= 100 else {
            throw .invalid("limits.requestTimeoutMilliseconds must be at least 100")
        }
        guard maximumConnections >= 1, maximumConnectionsPerAddress >= 1 else {
            throw .invalid("limits.maxConnections and limits.maxConnectionsPerAddress must be at least 1")
        }
        guard failedSignInsPerMinutePerAddress >= 1 else {
            throw .invalid("limits.failedSignInsPerMinutePerAddress must be at least 1")
        }
        guard refusalLogLinesPerSecond >= 1 else {
            throw .invalid("limits.refusalLogLinesPerSecond must be at least 1")
        }
    }
}

/// One application network a seed serves.
public struct NetworkDefinition: Sendable, Equatable {
    /// Name used in the endpoint path and the sign-in request.
    public var name: String
    /// Accepted sign-in secrets (several allow rotation).
    public var tokens: [String]
    /// ICE servers handed to nodes.
    public var iceServers: [ICEServerDefinition]
    /// The coordinate space of the network.
    public var space: CoordinateSpace
    /// Routing parameters.
    public var routing: RoutingSettings
    /// KVS parameters.
    public var kvs: KVSSettings
    /// Pub/sub parameters.
    public var spread: SpreadSettings
    /// Sign-ins beyond this many registered nodes get `networkFull`.
    public var maximumNodes: Int

    /// Creates a network definition.
    public init(
        name: String, tokens: [String], iceServers: [ICEServerDefinition] = [],
        space: CoordinateSpace = .plane(width: 1000, height: 1000), routing: RoutingSettings = RoutingSettings(),
        kvs: KVSSettings = KVSSettings(), spread: SpreadSettings = SpreadSettings(), maximumNodes: Int = 100_000
    ) {
        self.name = name
        self.tokens = tokens
        self.iceServers = iceServers
        self.space = space
        self.routing = routing
        self.kvs = kvs
        self.spread = spread
        self.maximumNodes = maximumNodes
    }

    func validate() throws(SeedConfigurationError) {
        guard SeedEndpoint.isValidNetworkName(name.utf8) else {
            throw .invalid("network name \"\(name)\" must be 1-128 characters of A-Z a-z 0-9 . _ -")
        }
        guard !tokens.isEmpty, tokens.allSatisfy({ !$0.isEmpty && $0.utf8.count <= SeedLimits.tokenBytes }) else {
            throw .invalid("network \"\(name)\" needs at least one non-empty token of at most 1024 bytes")
        }
        guard maximumNodes >= 1 else { throw .invalid("network \"\(name)\": maxNodes must be at least 1") }
        guard iceServers.count <= SeedLimits.iceServers else {
            throw .invalid("network \"\(name)\": at most \(SeedLimits.iceServers) ICE servers")
        }
        for server in iceServers { try server.validate(network: name) }
        guard UInt64(routing.linkTimeoutMilliseconds) >= 2 * UInt64(routing.keepaliveIntervalMilliseconds) else {
            throw .invalid(
                "network \"\(name)\": routing.linkTimeoutMilliseconds (\(routing.linkTimeoutMilliseconds)) must be at "
                    + "least twice keepaliveIntervalMilliseconds (\(routing.keepaliveIntervalMilliseconds)), or live "
                    + "peers are declared dead")
        }
        // The nodes decode these with the core's validating decoders; refuse what they would refuse.
        let configuration = NetworkConfiguration(
            name: name, space: space, routing: routing, kvs: kvs, spread: spread)
        do {
            _ = try NetworkConfiguration(decoding: configuration.encoded())
        } catch {
            throw .invalid("network \"\(name)\": invalid space or settings (\(error))")
        }
    }
}

/// An ICE server in the seed's configuration: either static credentials or a coturn
/// `use-auth-secret` shared secret from which per-node credentials are derived.
public struct ICEServerDefinition: Sendable, Equatable {
    /// `stun:`/`turn:`/`turns:` URLs.
    public var urls: [String]
    /// Static TURN user name.
    public var username: String?
    /// Static TURN password.
    public var credential: String?
    /// coturn `static-auth-secret`; when set, each node gets time-limited REST credentials.
    public var turnSecret: String?
    /// Lifetime of derived credentials.
    public var credentialLifetimeSeconds: Int

    /// Creates an ICE server definition.
    public init(
        urls: [String], username: String? = nil, credential: String? = nil, turnSecret: String? = nil,
        credentialLifetimeSeconds: Int = 24 * 3600
    ) {
        self.urls = urls
        self.username = username
        self.credential = credential
        self.turnSecret = turnSecret
        self.credentialLifetimeSeconds = credentialLifetimeSeconds
    }

    func validate(network: String) throws(SeedConfigurationError) {
        guard !urls.isEmpty, urls.count <= SeedLimits.iceServerURLs,
            urls.allSatisfy({ $0.utf8.count <= SeedLimits.iceServerFieldBytes })
        else {
            throw .invalid("network \"\(network)\": each ICE server needs 1-16 URLs of at most 1024 bytes")
        }
        if turnSecret != nil, username != nil || credential != nil {
            throw .invalid("network \"\(network)\": an ICE server has either turnSecret or username/credential")
        }
        guard credentialLifetimeSeconds >= 60 else {
            throw .invalid("network \"\(network)\": credentialTTLSeconds must be at least 60")
        }
    }

    /// The entry handed to a node; derived credentials are bound to `nodeID` and expire at
    /// `now + credentialLifetimeSeconds`.
    func resolved(for nodeID: NodeID, nowUnixSeconds: UInt64) -> ICEServerConfiguration {
        if let turnSecret {
            let credentials = TURNCredentials(
                secret: turnSecret, expiry: nowUnixSeconds + UInt64(credentialLifetimeSeconds), nodeID: nodeID)
            return ICEServerConfiguration(urls: urls, username: credentials.username, credential: credentials.password)
        }
        return ICEServerConfiguration(urls: urls, username: username ?? "", credential: credential ?? "")
    }
}
