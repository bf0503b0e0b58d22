import ColonioWebRTC
import Logging
import Synchronization

/// Two links of one engine connected to each other in-process, with signaling done directly.
struct LinkPair: Sendable {
    let offerer: PeerLink
    let answerer: PeerLink
    let offererInbox: EventInbox
    let answererInbox: EventInbox
    let pumps: [Task<Void, Never>]
    /// Every local candidate either side gathered.
    let candidates: CandidateLog

    static let logger = Logger(label: "colonio.webrtc.tests")

    static func makeEngine(configuration: WebRTCConfiguration = .loopbackOnly) throws -> WebRTCEngine {
        try WebRTCEngine(configuration: configuration, logger: logger)
    }

    /// Connects two new links and waits until both channels are open; the signaling may rewrite the offer
    /// and the answer on their way, as a relay or another WebRTC stack would.
    static func connect(
        engine: WebRTCEngine, timeout: Duration = .seconds(10),
        rewritingOffer: (String) -> String = { $0 }, rewritingAnswer: (String) -> String = { $0 }
    ) async throws -> LinkPair {
        let offerer = try engine.makeLink()
        let answerer = try engine.makeLink()
        let offererInbox = EventInbox()
        let answererInbox = EventInbox()
        let candidates = CandidateLog()
        let pumps = [
            pump(offerer, to: answerer, into: offererInbox, log: candidates),
            pump(answerer, to: offerer, into: answererInbox, log: candidates),
        ]
        let pair = LinkPair(
            offerer: offerer, answerer: answerer, offererInbox: offererInbox, answererInbox: answererInbox,
            pumps: pumps, candidates: candidates)
        let offer = rewritingOffer(try await offerer.makeOffer())
        let answer = rewritingAnswer(try await answerer.accept(offer: offer))
        try await offerer.setAnswer(answer)
        _ = try await offererInbox.expect("the offerer's channel to open", within: timeout) { $0 == .opened }
        _ = try await answererInbox.expect("the answerer's channel to open", within: timeout) { $0 == .opened }
        return pair
    }

    /// `sdp` advertising `a=max-message-size:bytes` (the line replaced, or added after `a=sctp-port`).
    static func advertising(maximumMessageSize bytes: Int, in sdp: String) -> String {
        var lines = sdp.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeAll { $0.hasPrefix("a=max-message-size:") }
        if let port = lines.firstIndex(where: { $0.hasPrefix("a=sctp-port:") }) {
            lines.insert("a=max-message-size:\(bytes)", at: port + 1)
        }
        return lines.joined(separator: "\r\n")
    }

    /// Forwards local candidates to the other link; everything else goes to the inbox.
    private static func pump(
        _ link: PeerLink, to other: PeerLink, into inbox: EventInbox, log: CandidateLog
    ) -> Task<Void, Never> {
        Task {
            for await event in link.events {
                if case .localCandidate(let candidate) = event {
                    log.lines.withLock { $0.append(candidate.candidate) }
                    do {
                        try await other.add(candidate: candidate)
                    } catch {
                        logger.error("candidate rejected: \(error)")
                    }
                } else {
                    inbox.push(event)
                }
            }
            inbox.finish()
        }
    }

    /// Stops the pumps without closing: dropping the pair afterwards must close and free both links.
    func abandon() async {
        for pump in pumps { pump.cancel() }
        for pump in pumps { await pump.value }
    }

    func close() async {
        offerer.close()
        answerer.close()
        for pump in pumps { await pump.value }
    }
}

final class CandidateLog: Sendable {
    let lines = Mutex<[String]>([])

    /// The connection addresses (fifth field of each candidate line).
    var addresses: [String] {
        lines.withLock { $0 }.map { line in
            let fields = line.split(separator: " ")
            return fields.count > 4 ? String(fields[4]) : line
        }
    }
}
