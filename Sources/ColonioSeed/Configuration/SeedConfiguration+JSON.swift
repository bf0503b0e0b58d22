import ColonioCore

// JSON form of the configuration (docs/seed.example.json). Hand-written so that every field is
// optional with the documented default, and so that the core's settings types stay free of Codable.

/// A coding key for any field name.
struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension KeyedDecodingContainer where Key == JSONKey {
    func value<T: Decodable>(_ name: String, default value: T) throws -> T {
        try decodeIfPresent(T.self, forKey: JSONKey(name)) ?? value
    }

    func optional<T: Decodable>(_ name: String) throws -> T? {
        try decodeIfPresent(T.self, forKey: JSONKey(name))
    }

    func required<T: Decodable>(_ name: String) throws -> T {
        try decode(T.self, forKey: JSONKey(name))
    }

    /// Overwrites `target` with the field's value when present.
    func update<T: Decodable>(_ target: inout T, _ name: String) throws {
        if let value = try decodeIfPresent(T.self, forKey: JSONKey(name)) { target = value }
    }
}

extension SeedConfiguration: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        self.init(
            listen: try container.value("listen", default: ListenAddress()),
            keyFile: try container.value("keyFile", default: ""),
            limits: try container.value("limits", default: SeedLimitsConfiguration()),
            networks: try container.required("networks"))
        // "webDirectory": a path, or "" to serve no web files.
        if let web = try container.decodeIfPresent(String.self, forKey: JSONKey("webDirectory")) {
            webDirectory = web.isEmpty ? nil : web
        }
        try container.update(&registry, "registry")
        tls = try container.optional("tls")
    }
}

extension RegistryConfiguration: Decodable {
    /// `"memory"`, or `{"postgres": URL, "passwordEnvironment"?, "passwordFile"?, "seedTimeoutSeconds"?}`.
    public init(from decoder: any Decoder) throws {
        if let kind = try? decoder.singleValueContainer().decode(String.self) {
            guard kind == "memory" else {
                throw SeedConfigurationError.invalid(
                    "registry \"\(kind)\" is unknown; use \"memory\" or {\"postgres\": \"postgres://user@host/db\"}")
            }
            self = .inMemory
            return
        }
        let container = try decoder.container(keyedBy: JSONKey.self)
        var settings = PostgresRegistrySettings(url: try container.required("postgres"))
        try container.update(&settings.passwordEnvironment, "passwordEnvironment")
        settings.passwordFile = try container.optional("passwordFile")
        try container.update(&settings.seedTimeoutSeconds, "seedTimeoutSeconds")
        self = .postgres(settings)
    }
}

extension ListenAddress: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        self.init()
        try container.update(&host, "host")
        try container.update(&port, "port")
    }
}

extension SeedLimitsConfiguration: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        self.init()
        try container.update(&maximumFrameBytes, "maxFrameBytes")
        try container.update(&framesPerSecond, "framesPerSecond")
        try container.update(&certificateLifetimeSeconds, "certificateLifetimeSeconds")
        try container.update(&keepaliveIntervalMilliseconds, "keepaliveIntervalMilliseconds")
        try container.update(&keepaliveTimeoutMilliseconds, "keepaliveTimeoutMilliseconds")
        try container.update(&outboundQueueBytes, "outboundQueueBytes")
        try container.update(&signInTimeoutMilliseconds, "signInTimeoutMilliseconds")
        try container.update(&requestTimeoutMilliseconds, "requestTimeoutMilliseconds")
        try container.update(&maximumConnections, "maxConnections")
        try container.update(&maximumConnectionsPerAddress, "maxConnectionsPerAddress")
        try container.update(&failedSignInsPerMinutePerAddress, "failedSignInsPerMinutePerAddress")
        try container.update(&refusalLogLinesPerSecond, "refusalLogLinesPerSecond")
    }
}

extension NetworkDefinition: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        self.init(name: try container.required("name"), tokens: try container.required("tokens"))
        try container.update(&iceServers, "iceServers")
        if let space: SpaceJSON = try container.optional("space") { self.space = space.space }
        if let routing: RoutingJSON = try container.optional("routing") { self.routing = routing.settings }
        if let kvs: KVSJSON = try container.optional("kvs") { self.kvs = kvs.settings }
        if let spread: SpreadJSON = try container.optional("spread") { self.spread = spread.settings }
        try container.update(&maximumNodes, "maxNodes")
    }
}

extension ICEServerDefinition: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        self.init(
            urls: try container.required("urls"), username: try container.optional("username"),
            credential: try container.optional("credential"), turnSecret: try container.optional("turnSecret"))
        try container.update(&credentialLifetimeSeconds, "credentialTTLSeconds")
    }
}

/// `{"kind": "plane"|"torus", "width": w, "height": h}` or `{"kind": "sphere", "radius": r}`.
struct SpaceJSON: Decodable {
    var space: CoordinateSpace

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        let kind: String = try container.required("kind")
        switch kind {
        case "plane": space = .plane(width: try container.required("width"), height: try container.required("height"))
        case "torus": space = .torus(width: try container.required("width"), height: try container.required("height"))
        case "sphere": space = .sphere(radius: try container.value("radius", default: 6_371_000.0))
        default:
            throw SeedConfigurationError.invalid("space kind \"\(kind)\" must be plane, sphere or torus")
        }
    }
}

struct RoutingJSON: Decodable {
    var settings = RoutingSettings()

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        try container.update(&settings.successorCount, "successorCount")
        try container.update(&settings.predecessorCount, "predecessorCount")
        try container.update(&settings.maximumLinks, "maximumLinks")
        try container.update(&settings.hopLimit, "hopLimit")
        try container.update(&settings.maximumMessageBytes, "maximumMessageBytes")
        try container.update(&settings.fragmentBytes, "fragmentBytes")
        try container.update(&settings.keepaliveIntervalMilliseconds, "keepaliveIntervalMilliseconds")
        try container.update(&settings.linkTimeoutMilliseconds, "linkTimeoutMilliseconds")
        try container.update(&settings.vouchedLinkTimeoutMilliseconds, "vouchedLinkTimeoutMilliseconds")
        try container.update(&settings.requestTimeoutMilliseconds, "requestTimeoutMilliseconds")
        try container.update(&settings.requestRetries, "requestRetries")
    }
}

struct KVSJSON: Decodable {
    var settings = KVSSettings()

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        try container.update(&settings.replicationFactor, "replicationFactor")
        try container.update(&settings.maximumKeyBytes, "maximumKeyBytes")
        try container.update(&settings.maximumValueBytes, "maximumValueBytes")
        try container.update(&settings.operationTimeoutMilliseconds, "operationTimeoutMilliseconds")
    }
}

struct SpreadJSON: Decodable {
    var settings = SpreadSettings()

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: JSONKey.self)
        try container.update(&settings.inlinePayloadBytes, "inlinePayloadBytes")
        try container.update(&settings.deduplicationMilliseconds, "deduplicationMilliseconds")
        try container.update(&settings.maximumPayloadBytes, "maximumPayloadBytes")
    }
}
