/// What a `WebRTCEngine` gathers candidates on and which ICE servers its links use.
public struct WebRTCConfiguration: Sendable, Hashable {
    /// STUN/TURN servers for every link of the engine.
    public var iceServers: [ICEServer]
    /// Gather candidates on loopback interfaces too (libwebrtc skips them by default). Tests need it.
    public var allowLoopback: Bool
    /// When set, only these interfaces (plus loopback ones if `allowLoopback`) are used; every other
    /// interface present when the engine starts is ignored. `nil` uses every interface.
    public var allowedInterfaces: [String]?
    /// `send` suspends while more than this many bytes are queued on a link.
    public var sendHighWaterMark: Int
    /// A suspended `send` resumes once the queue has drained to this many bytes.
    public var sendLowWaterMark: Int
    /// Lets libwebrtc log warnings and errors to stderr; off by default because it is chatty.
    public var engineLogging: Bool
    /// Time between ICE connectivity checks until a candidate pair is strongly connected (libwebrtc:
    /// 48 ms; `nil` keeps that). Through NATs the first check of a pair is often dropped, so the pace
    /// decides the connect time: in the NAT lab 10 ms connects through cone NATs in ~45 ms instead of
    /// ~130 ms and through TURN in ~75 ms instead of ~130 ms (docs/benchmarks.md, "nat"). RFC 8445
    /// allows pacing down to 5 ms; the cost is more STUN packets only while a link is connecting.
    public var iceCheckInterval: Duration?

    public init(
        iceServers: [ICEServer] = [],
        allowLoopback: Bool = false,
        allowedInterfaces: [String]? = nil,
        sendHighWaterMark: Int = 1 << 20,
        sendLowWaterMark: Int = 256 << 10,
        engineLogging: Bool = false,
        iceCheckInterval: Duration? = .milliseconds(10)
    ) {
        self.iceServers = iceServers
        self.allowLoopback = allowLoopback
        self.allowedInterfaces = allowedInterfaces
        self.sendHighWaterMark = sendHighWaterMark
        self.sendLowWaterMark = min(sendLowWaterMark, sendHighWaterMark)
        self.engineLogging = engineLogging
        self.iceCheckInterval = iceCheckInterval
    }

    /// Host candidates on 127.0.0.1 and ::1 only, no ICE servers: two links in one process connect
    /// without touching any other network. Use it in tests.
    public static let loopbackOnly = WebRTCConfiguration(allowLoopback: true, allowedInterfaces: [])
}
