import Colonio
import Synchronization

/// A C function registered with `colonio_subscribe`: a task reads the node's stream and hands each
/// delivery, in order, to the function on a serial callback queue.
final class SubscriptionRegistration: Sendable {
    let id = NodeRegistry.nextNumber()
    private let callback: DeliveryCallback
    private let queue: CallbackQueue
    private let reader = Mutex<Task<Void, Never>?>(nil)

    init(topic: String, callback: DeliveryCallback) {
        self.callback = callback
        queue = CallbackQueue(label: "colonio.subscription.\(topic)", concurrent: false)
    }

    func start(_ stream: AsyncStream<SpreadDelivery>) {
        let task = Task { [self] in
            for await delivery in stream {
                deliver(CopiedDelivery(
                    topic: delivery.topic, sender: delivery.sender.hex, payload: delivery.payload,
                    centerX: delivery.center.x, centerY: delivery.center.y, radius: delivery.radius, hops: delivery.hops))
            }
        }
        reader.withLock { $0 = task }
    }

    private func deliver(_ delivery: CopiedDelivery) {
        let callback = callback
        queue.run { callback.call(delivery) }
    }

    /// Ends the stream (the node then unsubscribes) and waits for a running callback.
    func stop() {
        reader.withLock { $0?.cancel() }
        queue.close()
    }
}
