/// The timing rules of a ``NodeController`` that are the shell's to choose (the network's own settings
/// come from the seed).
public struct NodeControllerSettings: Equatable, Sendable {
    /// A node with no link asks the seed for peers this long after losing its last one, then ever less
    /// often (doubling) up to ``peerSearchMaximumDelayMilliseconds`` (see ``PeerSearchSchedule``).
    public var peerSearchFirstDelayMilliseconds: UInt64
    public var peerSearchMaximumDelayMilliseconds: UInt64
    /// For this long after the seed connection came back, the seed's "unknown peer" may only mean the
    /// peer has not returned yet: a link attempt then waits for its connect timeout rather than fail.
    public var seedReturnGraceMilliseconds: UInt64
    /// Seconds between certificate renewal attempts while the seed does not answer.
    public var renewalRetrySeconds: UInt64
    /// A lost seed connection is reopened after this delay (jittered by +-50%, so that the nodes of a
    /// restarted seed do not all return at once), doubling on every failed attempt up to the maximum.
    public var reconnectFirstDelayMilliseconds: UInt64
    public var reconnectMaximumDelayMilliseconds: UInt64
    /// Offers being answered and not yet authenticated, at most: more are refused. Anyone who can relay
    /// a signal can send offers under any source ID, and each one costs a peer connection; the connect
    /// timeout frees a slot that never authenticates. Several times the links a ring node wants at once.
    public var maximumPendingOffers: Int
    /// Offers claiming one peer answered in a row, each replacing the last before it authenticated: a
    /// further one is refused until the last one authenticates or is given up (connect timeout), so a
    /// flood under a peer's ID makes no more peer connections and cannot keep replacing the real one.
    public var maximumOffersPerPeer: Int
    /// An offer sent through the overlay and not answered within this time is sent again (with its
    /// candidates), until the connect timeout: overlay signals are not acknowledged.
    public var signalRepeatMilliseconds: UInt64

    /// The defaults of both shells: peer search and seed reconnection from 1 s to 30 s, and a grace of
    /// twice the longest wait between seed reconnection attempts, by when returning nodes are back.
    public init(
        peerSearchFirstDelayMilliseconds: UInt64 = 1_000, peerSearchMaximumDelayMilliseconds: UInt64 = 30_000,
        seedReturnGraceMilliseconds: UInt64? = nil, renewalRetrySeconds: UInt64 = 30,
        maximumPendingOffers: Int = 32, maximumOffersPerPeer: Int = 3, signalRepeatMilliseconds: UInt64 = 1_000
    ) {
        self.signalRepeatMilliseconds = max(1, signalRepeatMilliseconds)
        self.maximumPendingOffers = max(1, maximumPendingOffers)
        self.maximumOffersPerPeer = max(1, maximumOffersPerPeer)
        self.peerSearchFirstDelayMilliseconds = peerSearchFirstDelayMilliseconds
        self.peerSearchMaximumDelayMilliseconds = max(peerSearchFirstDelayMilliseconds, peerSearchMaximumDelayMilliseconds)
        self.seedReturnGraceMilliseconds = seedReturnGraceMilliseconds ?? 2 * self.peerSearchMaximumDelayMilliseconds
        self.renewalRetrySeconds = renewalRetrySeconds
        reconnectFirstDelayMilliseconds = max(1, peerSearchFirstDelayMilliseconds)
        reconnectMaximumDelayMilliseconds = self.peerSearchMaximumDelayMilliseconds
    }
}

/// Why the controller refused an application call outright.
public enum NodeCallError: Error, Equatable, Sendable {
    /// The node is not signed in (or has left): connect first.
    case notConnected
    /// The node is signed in already.
    case alreadyConnected
    /// The payload exceeds the network's limit.
    case messageTooLarge(size: Int, limit: Int)
    /// A handler name must be 1 to 256 UTF-8 bytes.
    case invalidName
    /// A position outside the network's coordinate space.
    case invalidPosition(GeometryError)
    /// A publication the pub/sub machine refused.
    case spread(SpreadError)

    init(_ error: NodeError) {
        switch error {
        case .notStarted: self = .notConnected
        case .messageTooLarge(let size, let limit): self = .messageTooLarge(size: size, limit: limit)
        case .invalidName: self = .invalidName
        }
    }
}
