import Synchronization

/// A request's failure as the requester sees it (`ColonioError.handlerFailed` with this text).
struct HandlerFailure: Error, CustomStringConvertible {
    var description: String
}

/// Requests handed to C handlers that have not been answered yet, by `colonio_reply` number.
enum PendingReplies {
    typealias Outcome = Result<[UInt8], HandlerFailure>

    private struct Waiting: Sendable {
        var node: UInt64
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private static let waiting = Mutex<[UInt64: Waiting]>([:])

    static func add(node: UInt64, continuation: CheckedContinuation<Outcome, Never>) -> UInt64 {
        let reply = NodeRegistry.nextNumber()
        waiting.withLock { $0[reply] = Waiting(node: node, continuation: continuation) }
        return reply
    }

    /// Answers `reply` once; a second answer, or one for an unknown number, is an invalid handle.
    static func resolve(_ reply: UInt64, with outcome: Outcome) throws(ABIFailure) {
        guard let entry = waiting.withLock({ $0.removeValue(forKey: reply) }) else {
            throw .invalidHandle("no request awaits reply \(reply) (already answered, or unknown)")
        }
        entry.continuation.resume(returning: outcome)
    }

    /// Fails every request a freed node's handlers still owe.
    static func failAll(node: UInt64, reason: String) {
        let owed = waiting.withLock { table in
            let numbers = table.filter { $0.value.node == node }.map(\.key)
            return numbers.compactMap { table.removeValue(forKey: $0) }
        }
        for entry in owed { entry.continuation.resume(returning: .failure(HandlerFailure(description: reason))) }
    }
}
