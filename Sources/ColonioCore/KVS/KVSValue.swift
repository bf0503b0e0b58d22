/// A stored value and its version.
///
/// Every successful put or delete of a key raises its version by one; versions of a key are never reused,
/// not even after a delete, so a compare-and-set on an old version can never succeed by accident.
public struct KVSValue: Equatable, Hashable, Sendable {
    /// The value's bytes.
    public var bytes: [UInt8]
    /// The version the write that stored these bytes gave the key (the first write gives 1).
    public var version: UInt64

    /// Creates a value.
    public init(bytes: [UInt8], version: UInt64) {
        self.bytes = bytes
        self.version = version
    }
}

/// A precondition a put or delete must meet to take effect.
public enum KVSCondition: Equatable, Hashable, Sendable {
    /// Always applies.
    case none
    /// Applies only if the key has no value (never written, or deleted).
    case ifAbsent
    /// Applies only if the key has a value.
    case ifPresent
    /// Applies only if the key has a value with exactly this version (compare-and-set).
    case ifVersion(UInt64)

    /// Whether the condition holds for a key whose current value is `current`.
    public func isMet(by current: KVSValue?) -> Bool {
        switch self {
        case .none: return true
        case .ifAbsent: return current == nil
        case .ifPresent: return current != nil
        case .ifVersion(let version): return current?.version == version
        }
    }
}

/// Why a KVS operation failed.
public enum KVSError: Error, Equatable, Hashable, Sendable {
    /// The put's or delete's condition did not hold; nothing was changed. `currentVersion` is the key's
    /// version at that moment, `nil` if it had no value. Read the key again and decide whether to retry.
    case conditionFailed(currentVersion: UInt64?)
    /// Not enough replicas of the key answered; the operation was certainly **not** applied and may be
    /// retried as is. Usually the network is partitioned or too many nodes left at once.
    case unavailable
    /// The operation did not complete in time after it had started writing: it may or may not have been
    /// applied. Read the key to find out before retrying a non-idempotent change.
    case timeout
    /// The value exceeds the network's `maximumValueBytes`; store something smaller.
    case valueTooLarge(limit: UInt32)
    /// The key exceeds the network's `maximumKeyBytes` in UTF-8; use a shorter key.
    case keyTooLarge(limit: UInt32)
}

/// What a client asks of a key.
public enum KVSCommand: Equatable, Hashable, Sendable {
    /// Reads the key; completes with its value or `nil`.
    case get
    /// Stores `bytes` if `condition` holds; completes with the stored value and its new version.
    case put([UInt8], condition: KVSCondition)
    /// Deletes the key if `condition` holds (a tombstone keeps its version); completes with `nil`.
    /// Deleting a key that has no value under `.none` succeeds and changes nothing.
    case delete(condition: KVSCondition)
    /// Rewrites the key's current state to a quorum of the given replicas, changing nothing: how state
    /// moves to new replicas after a membership change. Completes with the current value.
    case repair
}
