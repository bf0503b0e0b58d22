import ColonioCore

/// The network's replicated key-value store, seen from one node: ``ColonioNode/kvs``.
///
/// Every key is a linearizable register replicated on `replicationFactor` nodes (3 by default): any
/// operation sees every write acknowledged before it started, from whichever node. Values carry a
/// version that each write raises by one.
///
/// ```swift
/// let stored = try await node.kvs.put("room/42", Array("open".utf8), condition: .ifAbsent)
/// let value = try await node.kvs.get("room/42")            // bytes and version, or nil
/// try await node.kvs.put("room/42", Array("closed".utf8), condition: .ifVersion(stored.version))
/// try await node.kvs.delete("room/42")
/// ```
public struct ColonioKVS: Sendable {
    let node: ColonioNode

    /// Reads `key`: its value and version, or `nil` when it has none (never written, or deleted).
    /// - Throws: ``ColonioError/unavailable``, ``ColonioError/timeout``, ``ColonioError/notConnected``,
    ///   ``ColonioError/keyTooLarge(limit:)``.
    public func get(_ key: String) async throws(ColonioError) -> KVSValue? {
        try await node.runKVS(.get, key: key)
    }

    /// Stores `value` under `key` if `condition` holds; returns it with its new version.
    /// - Throws: ``ColonioError/conditionFailed(currentVersion:)`` (nothing changed),
    ///   ``ColonioError/unavailable`` (certainly not applied: retry), ``ColonioError/timeout`` (may have been
    ///   applied: read before retrying), ``ColonioError/valueTooLarge(limit:)``, ``ColonioError/keyTooLarge(limit:)``.
    @discardableResult
    public func put(_ key: String, _ value: [UInt8], condition: KVSCondition = .none) async throws(ColonioError) -> KVSValue {
        guard let stored = try await node.runKVS(.put(value, condition: condition), key: key) else {
            throw .unavailable
        }
        return stored
    }

    /// Deletes `key` if `condition` holds. The key's version survives, so an old `.ifVersion` never
    /// matches a later value. Deleting a key without a value succeeds.
    /// - Throws: as ``put(_:_:condition:)``.
    public func delete(_ key: String, condition: KVSCondition = .none) async throws(ColonioError) {
        _ = try await node.runKVS(.delete(condition: condition), key: key)
    }
}

extension ColonioNode {
    /// The network's key-value store.
    public nonisolated var kvs: ColonioKVS { ColonioKVS(node: self) }

    func runKVS(_ command: KVSCommand, key: String) async throws(ColonioError) -> KVSValue? {
        guard let session else { throw .notConnected }
        let started: (operation: KVSClientOperationID, actions: [NodeAction])
        do {
            started = try controller.kvs(command, key: key, now: now())
        } catch {
            throw ColonioError(error, name: key)
        }
        let result = await withCheckedContinuation { continuation in
            session.pendingKVS[started.operation] = continuation
            perform(started.actions, in: session)
        }
        return try result.get()
    }
}

extension ColonioError {
    init(_ error: KVSError) {
        switch error {
        case .conditionFailed(let version): self = .conditionFailed(currentVersion: version)
        case .unavailable: self = .unavailable
        case .timeout: self = .timeout
        case .valueTooLarge(let limit): self = .valueTooLarge(limit: Int(limit))
        case .keyTooLarge(let limit): self = .keyTooLarge(limit: Int(limit))
        }
    }
}
