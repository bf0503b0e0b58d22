import ColonioWebRTC
import Logging

/// How a node makes links to other nodes. ``ColonioNode`` uses WebRTC unless its options name another
/// transport (`ColonioTesting`'s `InMemoryLinkNetwork`); the node's link management (signaling,
/// certificate hello, keepalive) is the same over both.
package protocol LinkTransport: Sendable {
    /// A new link, ready for ``TransportLink/makeOffer()`` or ``TransportLink/accept(offer:)``.
    func makeLink(logger: Logger) throws -> any TransportLink
    /// STUN/TURN servers for links made from now on (renewed TURN credentials); ignored in memory.
    func setICEServers(_ servers: [ICEServer])
}

/// One link between two nodes, in the shape of a WebRTC peer connection with one data channel:
/// offer/answer and candidates as strings, an ordered event stream ending with `.closed`.
package protocol TransportLink: AnyObject, Sendable {
    var events: AsyncStream<PeerLinkEvent> { get }
    func makeOffer() async throws -> String
    func accept(offer: String) async throws -> String
    func setAnswer(_ answer: String) async throws
    func add(candidate: ICECandidate) async throws
    /// Sends one whole message, in order; waits while the link's send buffer is full.
    func send(_ bytes: [UInt8]) async throws
    /// Sends one whole message at once if the send buffer has room (`true`), else nothing (`false`).
    func sendIfRoom(_ bytes: [UInt8]) throws -> Bool
    func close()
    var iceServerErrors: [ICEServerError] { get }
    func statistics() async -> LinkStatistics?
}

extension PeerLink: TransportLink {}

/// WebRTC links from one engine (one libwebrtc thread per node).
struct WebRTCTransport: LinkTransport {
    let engine: WebRTCEngine

    func makeLink(logger: Logger) throws -> any TransportLink {
        try engine.makeLink(logger: logger)
    }

    func setICEServers(_ servers: [ICEServer]) {
        engine.setICEServers(servers)
    }
}
