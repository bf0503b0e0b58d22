/// Overlay routing parameters a network's seed hands to every node. Defaults suit most applications.
public struct RoutingSettings: Equatable, Sendable {
    /// Successors kept on the ring.
    public var successorCount: UInt32 = 2
    /// Predecessors kept on the ring.
    public var predecessorCount: UInt32 = 2
    /// Hard cap on links per node, all kinds together (browsers cannot hold hundreds of connections).
    public var maximumLinks: UInt32 = 24
    /// A packet that has travelled this many hops is dropped.
    public var hopLimit: UInt32 = 64
    /// Largest application message, in bytes; larger sends fail with a typed error.
    public var maximumMessageBytes: UInt32 = 4 * 1024 * 1024
    /// Messages are cut into fragments of at most this many bytes on a link.
    public var fragmentBytes: UInt32 = 16 * 1024
    /// How often a link with no traffic sends a keepalive: a live peer is heard from at least this often.
    public var keepaliveIntervalMilliseconds: UInt32 = 500
    /// A peer silent this long is declared dead and its link closed, unless another linked node still
    /// hears from it (see ``vouchedLinkTimeoutMilliseconds``). After half of it the peer is suspected and
    /// other nodes are asked. The default notices a crash within 2 s on a LAN; raise it (and the keepalive
    /// interval) for networks of phones or throttled browser tabs.
    public var linkTimeoutMilliseconds: UInt32 = 2_000
    /// The longest silence a link is given while another node vouches that the peer is alive (a slow or
    /// lossy link rather than a crash).
    public var vouchedLinkTimeoutMilliseconds: UInt32 = 15_000
    /// A request not answered within this time is retried, up to ``requestRetries`` times.
    public var requestTimeoutMilliseconds: UInt32 = 5_000
    /// How many times a request is retried before it fails.
    public var requestRetries: UInt32 = 2
    /// How often a node exchanges neighbour lists with its ring neighbours, so joins and crashes converge.
    public var stabilizeIntervalMilliseconds: UInt32 = 2_000
    /// A link that has not opened within this time counts as failed.
    public var connectTimeoutMilliseconds: UInt32 = 10_000
    /// How often a node looks up the owners of its long-link targets again.
    public var longLinkRefreshIntervalMilliseconds: UInt32 = 60_000

    /// The defaults.
    public init() {}
}

extension RoutingSettings: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init()
        while let field = try reader.nextField() {
            switch field.number {
            case 1: successorCount = try reader.readUInt32(field)
            case 2: predecessorCount = try reader.readUInt32(field)
            case 3: maximumLinks = try reader.readUInt32(field)
            case 4: hopLimit = try reader.readUInt32(field)
            case 5: maximumMessageBytes = try reader.readUInt32(field)
            case 6: fragmentBytes = try reader.readUInt32(field)
            case 7: keepaliveIntervalMilliseconds = try reader.readUInt32(field)
            case 8: linkTimeoutMilliseconds = try reader.readUInt32(field)
            case 9: requestTimeoutMilliseconds = try reader.readUInt32(field)
            case 10: requestRetries = try reader.readUInt32(field)
            case 11: stabilizeIntervalMilliseconds = try reader.readUInt32(field)
            case 12: connectTimeoutMilliseconds = try reader.readUInt32(field)
            case 13: longLinkRefreshIntervalMilliseconds = try reader.readUInt32(field)
            case 14: vouchedLinkTimeoutMilliseconds = try reader.readUInt32(field)
            default: try reader.skip(field)
            }
        }
        guard successorCount >= 1, successorCount <= 16 else { throw .invalidValue(field: 1) }
        guard predecessorCount >= 1, predecessorCount <= 16 else { throw .invalidValue(field: 2) }
        guard maximumLinks >= successorCount + predecessorCount else { throw .invalidValue(field: 3) }
        guard hopLimit >= 1 else { throw .invalidValue(field: 4) }
        guard fragmentBytes >= 256 else { throw .invalidValue(field: 6) }
        guard stabilizeIntervalMilliseconds >= 10 else { throw .invalidValue(field: 11) }
        guard keepaliveIntervalMilliseconds >= 10 else { throw .invalidValue(field: 7) }
        guard UInt64(linkTimeoutMilliseconds) >= 2 * UInt64(keepaliveIntervalMilliseconds) else { throw .invalidValue(field: 8) }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: UInt64(successorCount))
        writer.write(field: 2, uint64: UInt64(predecessorCount))
        writer.write(field: 3, uint64: UInt64(maximumLinks))
        writer.write(field: 4, uint64: UInt64(hopLimit))
        writer.write(field: 5, uint64: UInt64(maximumMessageBytes))
        writer.write(field: 6, uint64: UInt64(fragmentBytes))
        writer.write(field: 7, uint64: UInt64(keepaliveIntervalMilliseconds))
        writer.write(field: 8, uint64: UInt64(linkTimeoutMilliseconds))
        writer.write(field: 9, uint64: UInt64(requestTimeoutMilliseconds))
        writer.write(field: 10, uint64: UInt64(requestRetries))
        writer.write(field: 11, uint64: UInt64(stabilizeIntervalMilliseconds))
        writer.write(field: 12, uint64: UInt64(connectTimeoutMilliseconds))
        writer.write(field: 13, uint64: UInt64(longLinkRefreshIntervalMilliseconds))
        writer.write(field: 14, uint64: UInt64(vouchedLinkTimeoutMilliseconds))
    }
}
