import ColonioCore

/// The seed's URL paths.
enum SeedEndpoint {
    /// Path of a network's WebSocket endpoint.
    static func webSocketPath(network: String) -> String { "/v1/networks/\(network)/ws" }

    /// The network named by a WebSocket endpoint request target (`/v1/networks/{name}/ws`, any query
    /// ignored), or `nil` for any other path and for a name no network can have (checked before the
    /// name is copied, so a long name in the path costs nothing and never reaches a log line). Any
    /// valid name is accepted here; an unknown network is refused with a typed error frame at sign-in.
    static func network(inWebSocketTarget target: String) -> String? {
        guard let name = nameComponent(inWebSocketTarget: target), isValidNetworkName(name.utf8) else { return nil }
        return String(name)
    }

    /// Whether `target` has the shape of a WebSocket endpoint (`/v1/networks/{anything}/ws`).
    static func isWebSocketTarget(_ target: String) -> Bool {
        nameComponent(inWebSocketTarget: target) != nil
    }

    /// The rule ``isValidNetworkName(_:)`` checks, as told to clients.
    static let networkNameRule = "network names are 1-128 characters of A-Z a-z 0-9 . _ -"

    /// Whether `name` can be a network's name: 1-128 bytes of `A-Z a-z 0-9 . _ -` (the configuration's
    /// rule, so names in URLs and logs need no escaping).
    static func isValidNetworkName(_ name: some Collection<UInt8>) -> Bool {
        guard !name.isEmpty, name.count <= SeedLimits.networkNameBytes else { return false }
        return name.allSatisfy { byte in
            byte == 0x2D || byte == 0x5F || byte == 0x2E || (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte)
                || (0x61...0x7A).contains(byte)
        }
    }

    /// The path of a request target, without its query.
    static func path(of target: String) -> Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    private static func nameComponent(inWebSocketTarget target: String) -> Substring? {
        let components = path(of: target).split(separator: "/", maxSplits: 5, omittingEmptySubsequences: false)
        guard components.count == 5, components[0].isEmpty, components[1] == "v1", components[2] == "networks",
            !components[3].isEmpty, components[4] == "ws"
        else { return nil }
        return components[3]
    }
}
