import CWebRTC
import Logging

/// The WebRTC engine: one libwebrtc thread and peer connection factory shared by all its links.
///
/// Make one per process (or per network configuration) and create links with `makeLink()`. The engine
/// stays alive while any of its links does.
public final class WebRTCEngine: Sendable {
    /// The configuration the engine was made with (``setICEServers(_:)`` does not change it).
    public let configuration: WebRTCConfiguration
    let logger: Logger
    let handle: FactoryHandle

    /// Starts the engine's thread and factory.
    /// - Throws: `WebRTCError.engineFailure` if libwebrtc cannot start.
    public init(configuration: WebRTCConfiguration = WebRTCConfiguration(), logger: Logger) throws(WebRTCError) {
        self.configuration = configuration
        self.logger = logger
        let created = CStrings.withArrays(
            configuration.allowedInterfaces ?? [],
            configuration.iceServers
        ) { interfaces, servers in
            var options = cwrtc_factory_options()
            options.allow_loopback = configuration.allowLoopback
            options.restrict_interfaces = configuration.allowedInterfaces != nil
            options.allowed_interfaces = interfaces.baseAddress
            options.allowed_interface_count = interfaces.count
            options.ice_servers = servers.baseAddress
            options.ice_server_count = servers.count
            options.log_severity = configuration.engineLogging ? 2 : -1
            options.ice_check_interval_ms = configuration.iceCheckInterval.map { interval in
                let (seconds, attoseconds) = interval.components
                return Int32(clamping: max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
            } ?? 0
            return CStrings.withErrorBuffer { error, capacity in
                cwrtc_factory_create(&options, error, capacity)
            }
        }
        guard let factory = created.value else {
            throw .engineFailure(created.error)
        }
        handle = FactoryHandle(pointer: factory)
        logger.debug(
            "WebRTC engine started",
            metadata: [
                "allowLoopback": "\(configuration.allowLoopback)",
                "allowedInterfaces": "\(configuration.allowedInterfaces.map { "\($0)" } ?? "all")",
                "iceServers": "\(configuration.iceServers.count)",
            ])
    }

    deinit {
        cwrtc_factory_release(handle.pointer)
    }

    /// Replaces the STUN/TURN servers of links made from now on, e.g. with renewed time-limited TURN
    /// credentials; links already made keep theirs. ``configuration`` still shows the initial servers.
    public func setICEServers(_ servers: [ICEServer]) {
        CStrings.withArrays([], servers) { _, cServers in
            cwrtc_factory_set_ice_servers(handle.pointer, cServers.baseAddress, cServers.count)
        }
        logger.debug("ICE servers replaced", metadata: ["iceServers": "\(servers.count)"])
    }

    /// Creates a link (a peer connection with its data channel), ready for `makeOffer()` or
    /// `accept(offer:)`.
    /// - Parameter logger: the link's logger, e.g. with the remote node ID as metadata; the engine's if nil.
    /// - Throws: `WebRTCError.engineFailure`, e.g. when an ICE server URL is malformed.
    public func makeLink(logger: Logger? = nil) throws(WebRTCError) -> PeerLink {
        try PeerLink(engine: self, logger: logger ?? self.logger)
    }
}

/// The C factory handle; the C API is thread-safe.
struct FactoryHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
