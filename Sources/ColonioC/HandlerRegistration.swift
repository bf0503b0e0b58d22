import Colonio

/// A C function registered with `colonio_handle`: the Swift handler the node calls hands each message to
/// it on its callback queue and, for a request, waits (without holding a thread) for `colonio_reply`.
final class HandlerRegistration: Sendable {
    let node: UInt64
    let callback: HandlerCallback
    let queue: CallbackQueue

    init(node: UInt64, name: String, callback: HandlerCallback) {
        self.node = node
        self.callback = callback
        queue = CallbackQueue(label: "colonio.handler.\(name)", concurrent: true)
    }

    func handle(_ message: ColonioMessage) async throws -> [UInt8] {
        // Plain values only: the message's `NodeID` must not be captured by the closures below.
        let source = message.source.hex
        let name = message.name
        let payload = message.payload
        let hops = UInt32(clamping: message.hopCount)
        let callback = callback
        guard message.isRequest else {
            queue.run { callback.call(reply: 0, source: source, name: name, payload: payload, hops: hops) }
            return []
        }
        let outcome = await withCheckedContinuation { continuation in
            let reply = PendingReplies.add(node: node, continuation: continuation)
            queue.run {
                callback.call(reply: reply, source: source, name: name, payload: payload, hops: hops)
            } ifClosed: {
                try? PendingReplies.resolve(reply, with: .failure(HandlerFailure(description: "the handler was removed")))
            }
        }
        return try outcome.get()
    }
}
