import Colonio

extension ColonioNodeOptions {
    /// Links nodes of this process through `network` instead of WebRTC; `nil`: WebRTC.
    public var inMemoryLinks: InMemoryLinkNetwork? {
        get { linkTransport as? InMemoryLinkNetwork }
        set { linkTransport = newValue }
    }

    /// Default options, but links through `network` and timers on `clock`.
    public init(inMemoryLinks network: InMemoryLinkNetwork, clock: ColonioClock = .system) {
        self.init(clock: clock)
        inMemoryLinks = network
    }
}
