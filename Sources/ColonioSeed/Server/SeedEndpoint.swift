/// The seed's URL paths.
enum SeedEndpoint {
    /// Path of a network's WebSocket endpoint.
    static func webSocketPath(network: String) -> String { "/v1/networks/\(network)/ws" }

    /// The network named by a WebSocket endpoint request target (`/v1/networks/{name}/ws`, any query
    /// ignored), or `nil` for any other path. Every name is accepted here; an unknown network is
    /// refused with a typed error frame at sign-in.
    static func network(inWebSocketTarget target: String) -> String? {
        let components = path(of: target).split(separator: "/", omittingEmptySubsequences: false)
        guard components.count == 5, components[0].isEmpty, components[1] == "v1", components[2] == "networks",
            !components[3].isEmpty, components[4] == "ws"
        else { return nil }
        return String(components[3])
    }

    /// The path of a request target, without its query.
    static func path(of target: String) -> Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }
}
