import Colonio
import ColonioCore
import ColonioWebRTC
import Foundation
import Logging
import Synchronization

/// Links between nodes of one process without WebRTC: messages are handed from one node's link to the
/// other's event stream, in order. For tests of applications and of the node itself, and for running
/// many nodes on a machine that could not hold as many peer connections. Nodes still sign in to a seed.
///
/// ```swift
/// let links = InMemoryLinkNetwork()
/// var options = ColonioNodeOptions()
/// options.inMemoryLinks = links
/// let node = ColonioNode(options: options)
/// ```
/// Only nodes given the same network can link to each other.
public final class InMemoryLinkNetwork: Sendable {
    /// Offers made and not yet answered, by token.
    private let offers = Mutex<[String: InMemoryLink]>([:])
    /// Open links by token, and whether an outage (``setOutage(_:)``) is on.
    private let live = Mutex<(links: [String: InMemoryLink], outage: Bool)>(([:], false))

    /// Creates a network with no links; hand the same instance to every node that should link in memory.
    public init() {}

    func register(_ link: InMemoryLink, token: String) {
        offers.withLock { $0[token] = link }
    }

    func takeOffer(_ token: String) -> InMemoryLink? {
        offers.withLock { $0.removeValue(forKey: token) }
    }

    func forget(_ token: String) {
        _ = offers.withLock { $0.removeValue(forKey: token) }
    }

    /// Offers waiting for an answer (for leak checks in tests).
    package var pendingOffers: Int { offers.withLock { $0.count } }

    /// For tests of failure handling: while on, as in a network outage, every open link closes and
    /// new ones fail to open; nodes' seed connections are not affected.
    package func setOutage(_ on: Bool) {
        let closing = live.withLock { state in
            state.outage = on
            return on ? Array(state.links.values) : []
        }
        for link in closing { link.close() }
    }

    var isOut: Bool { live.withLock { $0.outage } }

    /// Records an opened link; `false` (and the link stays closed) during an outage.
    func opened(_ link: InMemoryLink) -> Bool {
        live.withLock { state in
            guard !state.outage else { return false }
            state.links[link.token] = link
            return true
        }
    }

    func closed(_ link: InMemoryLink) {
        _ = live.withLock { $0.links.removeValue(forKey: link.token) }
    }
}

/// What went wrong on an in-memory link.
public enum InMemoryLinkError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The description is not one an in-memory link made, or its offer is gone (answered, closed, or made
    /// on another ``InMemoryLinkNetwork``).
    case unknownDescription(String)
    /// The operation does not fit the link's state (e.g. an answer before an offer).
    case invalidState(String)
    /// The link is closed.
    case closed

    public var description: String {
        switch self {
        case .unknownDescription(let detail): "in-memory link: unknown session description (\(detail))"
        case .invalidState(let detail): "in-memory link: \(detail)"
        case .closed: "in-memory link: closed"
        }
    }
}

extension InMemoryLinkNetwork: LinkTransport {
    package func makeLink(logger: Logger) throws -> any TransportLink {
        InMemoryLink(network: self)
    }

    package func setICEServers(_ servers: [ICEServer]) {}
}

/// One side of an in-memory link. Its session description carries a random token, also used as the
/// "DTLS fingerprint" that the node's certificate hello binds to the link.
package final class InMemoryLink: TransportLink {
    package let events: AsyncStream<PeerLinkEvent>
    private let continuation: AsyncStream<PeerLinkEvent>.Continuation
    private let network: InMemoryLinkNetwork
    /// 32 random bytes as hex pairs, so that it passes as a well-formed fingerprint.
    let token = (0..<32).map { _ in
        let byte = UInt8.random(in: 0...UInt8.max)
        return (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }.joined(separator: ":")

    private struct State {
        var role: Role = .new
        var remote: InMemoryLink?
        var isOpen = false
        var isClosed = false
        var bytesSent: UInt64 = 0
        var bytesReceived: UInt64 = 0
    }
    private enum Role { case new, offerer, answerer }
    private let state = Mutex(State())

    init(network: InMemoryLinkNetwork) {
        self.network = network
        (events, continuation) = AsyncStream.makeStream(of: PeerLinkEvent.self)
    }

    var description: String { "v=0\r\na=fingerprint:memory \(token)\r\na=x-colonio-link:memory\r\n" }

    static func token(in sdp: String) -> String? {
        (try? SDPFingerprint.only(in: sdp)).flatMap { value in
            value.hasPrefix("memory ") ? String(value.dropFirst("memory ".count)) : nil
        }
    }

    package func makeOffer() async throws -> String {
        try state.withLock { state throws(InMemoryLinkError) in
            guard !state.isClosed else { throw .closed }
            guard state.role == .new else { throw .invalidState("an offer on a link that already has one") }
            state.role = .offerer
        }
        if network.isOut { throw InMemoryLinkError.closed }
        network.register(self, token: token)
        continuation.yield(.stateChanged(.connecting))
        return description
    }

    package func accept(offer: String) async throws -> String {
        guard let remoteToken = Self.token(in: offer) else { throw InMemoryLinkError.unknownDescription("no in-memory token") }
        guard let offerer = network.takeOffer(remoteToken) else {
            throw InMemoryLinkError.unknownDescription("no open offer \(remoteToken.prefix(16))…")
        }
        try state.withLock { state throws(InMemoryLinkError) in
            guard !state.isClosed else { throw .closed }
            guard state.role == .new else { throw .invalidState("accepting an offer on a link that already has a role") }
            state.role = .answerer
            state.remote = offerer
        }
        offerer.state.withLock { $0.remote = self }
        continuation.yield(.stateChanged(.connecting))
        return description
    }

    package func setAnswer(_ answer: String) async throws {
        guard let remoteToken = Self.token(in: answer) else { throw InMemoryLinkError.unknownDescription("no in-memory token") }
        let remote = try state.withLock { state throws(InMemoryLinkError) -> InMemoryLink in
            guard !state.isClosed else { throw .closed }
            guard state.role == .offerer else { throw .invalidState("an answer without an offer") }
            guard let remote = state.remote, remote.token == remoteToken else {
                throw .unknownDescription("the answer is not from the link that accepted this offer")
            }
            return remote
        }
        // Both sides open, as after a WebRTC handshake; the answerer first, so that the offerer's first
        // message finds it open.
        remote.open()
        open()
    }

    /// In-memory links have no ICE candidates; remote ones are accepted and ignored.
    package func add(candidate: ICECandidate) async throws {}

    package func send(_ bytes: [UInt8]) async throws {
        _ = try sendIfRoom(bytes)
    }

    /// In memory there is no send buffer: always sends at once.
    package func sendIfRoom(_ bytes: [UInt8]) throws -> Bool {
        let remote = try state.withLock { state throws(InMemoryLinkError) -> InMemoryLink in
            guard !state.isClosed, state.isOpen, let remote = state.remote else { throw .closed }
            state.bytesSent += UInt64(bytes.count)
            return remote
        }
        remote.receive(bytes)
        return true
    }

    package func close() {
        let remote = state.withLock { state -> InMemoryLink? in
            guard !state.isClosed else { return nil }
            state.isClosed = true
            state.isOpen = false
            defer { state.remote = nil }
            return state.remote
        }
        network.forget(token)
        network.closed(self)
        finish()
        remote?.close()
    }

    package var iceServerErrors: [ICEServerError] { [] }

    package func statistics() async -> LinkStatistics? {
        state.withLock { state in
            guard state.isOpen else { return nil }
            return LinkStatistics(
                localCandidateType: .host, remoteCandidateType: .host, roundTripTime: nil,
                bytesSent: state.bytesSent, bytesReceived: state.bytesReceived)
        }
    }

    private func open() {
        guard network.opened(self) else {
            close()
            return
        }
        let opened = state.withLock { state -> Bool in
            guard !state.isClosed, !state.isOpen else { return false }
            state.isOpen = true
            return true
        }
        guard opened else { return }
        continuation.yield(.stateChanged(.connected))
        continuation.yield(.opened)
    }

    private func receive(_ bytes: [UInt8]) {
        let accepted = state.withLock { state -> Bool in
            guard state.isOpen else { return false }
            state.bytesReceived += UInt64(bytes.count)
            return true
        }
        if accepted { continuation.yield(.message(bytes)) }
    }

    private func finish() {
        continuation.yield(.stateChanged(.closed))
        continuation.yield(.closed)
        continuation.finish()
    }
}
