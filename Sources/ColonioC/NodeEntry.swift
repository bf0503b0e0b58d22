import Colonio
import Synchronization

/// One node behind a `colonio_node` handle, with the callbacks C registered on it.
final class NodeEntry: Sendable {
    let handle: UInt64
    let node: ColonioNode
    private let registrations = Mutex(Registrations())

    private struct Registrations {
        var handlers: [String: HandlerRegistration] = [:]
        var subscriptions: [UInt64: SubscriptionRegistration] = [:]
    }

    init(handle: UInt64, node: ColonioNode) {
        self.handle = handle
        self.node = node
    }

    /// Stores `registration` as the handler of `name`, returning the one it replaces.
    func setHandler(_ registration: HandlerRegistration, for name: String) -> HandlerRegistration? {
        registrations.withLock { $0.handlers.updateValue(registration, forKey: name) }
    }

    func removeHandler(_ name: String) -> HandlerRegistration? {
        registrations.withLock { $0.handlers.removeValue(forKey: name) }
    }

    func addSubscription(_ registration: SubscriptionRegistration) {
        registrations.withLock { $0.subscriptions[registration.id] = registration }
    }

    func removeSubscription(_ id: UInt64) -> SubscriptionRegistration? {
        registrations.withLock { $0.subscriptions.removeValue(forKey: id) }
    }

    /// Takes every registration out, for `colonio_node_free`.
    func removeAll() -> (handlers: [HandlerRegistration], subscriptions: [SubscriptionRegistration]) {
        registrations.withLock { state in
            defer { state = Registrations() }
            return (Array(state.handlers.values), Array(state.subscriptions.values))
        }
    }
}
