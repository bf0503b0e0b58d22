import ColonioCore

/// What a node learns when it signs in.
public struct SeedSession: Sendable, Equatable {
    /// The ID the seed assigned.
    public var nodeID: NodeID
    /// The certificate binding the node's key to its ID (renew it before its `expiry`).
    public var certificate: NodeCertificate
    /// The seed's public key; verify other nodes' certificates with it.
    public var seedPublicKey: [UInt8]
    /// The network's configuration.
    public var configuration: NetworkConfiguration
    /// The registered nodes nearest this one on the ring; empty when the node is alone.
    public var bootstrapPeers: [NodeID]
    /// How often the client sends keepalives (the client does it by itself).
    public var keepaliveInterval: Duration

    /// Whether no other node was registered at sign-in.
    public var isAlone: Bool { bootstrapPeers.isEmpty }

    init(_ response: SignInResponse) {
        nodeID = response.nodeID
        certificate = response.certificate
        seedPublicKey = response.seedPublicKey
        configuration = response.configuration
        bootstrapPeers = response.bootstrapPeers
        keepaliveInterval = .milliseconds(Int64(response.keepaliveIntervalMilliseconds))
    }
}
