import ColonioWebRTC
import Logging

/// Two links of one engine connected to each other in-process, with signaling done directly.
struct LinkPair: Sendable {
    let offerer: PeerLink
    let answerer: PeerLink
    let offererInbox: EventInbox
    let answererInbox: EventInbox
    let pumps: [Task<Void, Never>]

    static let logger = Logger(label: "colonio.webrtc.tests")

    static func makeEngine() throws -> WebRTCEngine {
        try WebRTCEngine(configuration: .loopbackOnly, logger: logger)
    }

    /// Connects two new links and waits until both channels are open.
    static func connect(engine: WebRTCEngine, timeout: Duration = .seconds(10)) async throws -> LinkPair {
        let offerer = try engine.makeLink()
        let answerer = try engine.makeLink()
        let offererInbox = EventInbox()
        let answererInbox = EventInbox()
        let pumps = [
            pump(offerer, to: answerer, into: offererInbox),
            pump(answerer, to: offerer, into: answererInbox),
        ]
        let pair = LinkPair(
            offerer: offerer, answerer: answerer, offererInbox: offererInbox, answererInbox: answererInbox,
            pumps: pumps)
        let offer = try await offerer.makeOffer()
        let answer = try await answerer.accept(offer: offer)
        try await offerer.setAnswer(answer)
        _ = try await offererInbox.expect("the offerer's channel to open", within: timeout) { $0 == .opened }
        _ = try await answererInbox.expect("the answerer's channel to open", within: timeout) { $0 == .opened }
        return pair
    }

    /// Forwards local candidates to the other link; everything else goes to the inbox.
    private static func pump(_ link: PeerLink, to other: PeerLink, into inbox: EventInbox) -> Task<Void, Never> {
        Task {
            for await event in link.events {
                if case .localCandidate(let candidate) = event {
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

    func close() async {
        offerer.close()
        answerer.close()
        for pump in pumps { await pump.value }
    }
}
