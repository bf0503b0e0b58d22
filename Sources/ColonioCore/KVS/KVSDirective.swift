/// Identifies one client operation started on one ``KVSInstance``.
public struct KVSOperationID: Hashable, Comparable, Sendable {
    /// Unique per instance, increasing from 1.
    public var rawValue: UInt64

    /// Creates an ID.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    public static func < (lhs: KVSOperationID, rhs: KVSOperationID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a ``KVSInstance`` asks its shell to do.
public enum KVSDirective: Equatable, Sendable {
    /// Deliver `message` to the node `to` through the overlay (never the instance's own node: it handles
    /// messages to itself internally).
    case send(KVSMessage, to: NodeID)
    /// The operation finished: hand `result` to the client. Puts complete with the stored value and its new
    /// version, deletes with `nil`, gets with the value or `nil`.
    case complete(KVSOperationID, Result<KVSValue?, KVSError>)
}

/// Timer parameters of a ``KVSInstance``; the defaults suit a WebRTC overlay of a few hops.
public struct KVSTiming: Equatable, Sendable {
    /// How long a phase waits for a quorum before it re-sends to the replicas that have not answered.
    public var phaseTimeoutMilliseconds: UInt64 = 500
    /// Re-sends per phase before the attempt starts over with a higher ballot.
    public var retransmissionsPerAttempt = 2
    /// The random back-off after a conflict is drawn from `1...base * 2^attempt`, at most ``backoffLimitMilliseconds``.
    public var backoffBaseMilliseconds: UInt64 = 10
    /// Upper bound of the back-off after a conflict.
    public var backoffLimitMilliseconds: UInt64 = 640

    /// The defaults.
    public init() {}
}

/// What one acceptor holds for one key: its promise and the last register it accepted.
public struct KVSAcceptorState: Hashable, Sendable {
    /// Ballots below this one are refused.
    public var promised: KVSBallot
    /// The ballot ``register`` was accepted at.
    public var accepted: KVSBallot
    /// The register accepted last.
    public var register: KVSRegister

    /// Creates an acceptor state; the default is a key this acceptor never heard of.
    public init(promised: KVSBallot = .zero, accepted: KVSBallot = .zero, register: KVSRegister = .empty) {
        self.promised = promised
        self.accepted = accepted
        self.register = register
    }
}
