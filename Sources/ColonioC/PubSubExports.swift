import CColonio
import Colonio

@_cdecl("colonio_set_position")
public func colonio_set_position(_ node: colonio_node, _ x: Double, _ y: Double) -> colonio_status {
    exported { () throws(ABIFailure) in
        let colonioNode = try NodeRegistry.entry(node).node
        try blocking { () async throws(ABIFailure) in
            do throws(ColonioError) { try await colonioNode.setPosition(Position(x: x, y: y)) } catch { throw ABIFailure(error) }
        }
    }
}

/// Flags of `colonio_publish`.
private let deliverToSelfFlag: UInt32 = 1
private let requireReceiverFlag: UInt32 = 2

@_cdecl("colonio_publish")
public func colonio_publish(
    _ node: colonio_node, _ topic: UnsafePointer<CChar>?, _ payload: UnsafePointer<UInt8>?, _ length: Int,
    _ centerX: Double, _ centerY: Double, _ radius: Double, _ flags: UInt32
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let topic = try BoundaryInput.string(topic, "topic")
        let bytes = try BoundaryInput.bytes(payload, length, "payload")
        guard flags & ~(deliverToSelfFlag | requireReceiverFlag) == 0 else { throw .invalidArgument("unknown publish flags \(flags)") }
        let options = SpreadOptions(deliverToSelf: flags & deliverToSelfFlag != 0, requireReceiver: flags & requireReceiverFlag != 0)
        let colonioNode = try NodeRegistry.entry(node).node
        try blocking { () async throws(ABIFailure) in
            do throws(ColonioError) {
                try await colonioNode.publish(bytes, topic: topic, center: Position(x: centerX, y: centerY), radius: radius, options: options)
            } catch {
                throw ABIFailure(error)
            }
        }
    }
}

@_cdecl("colonio_subscribe")
public func colonio_subscribe(
    _ node: colonio_node, _ topic: UnsafePointer<CChar>?, _ callback: colonio_delivery_fn?, _ context: UnsafeMutableRawPointer?,
    _ subscription: UnsafeMutablePointer<colonio_subscription>?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let topic = try BoundaryInput.string(topic, "topic")
        guard let callback else { throw .invalidArgument("callback is NULL") }
        let subscription = try BoundaryInput.required(subscription, "subscription")
        let entry = try NodeRegistry.entry(node)
        let registration = SubscriptionRegistration(topic: topic, callback: DeliveryCallback(function: callback, context: context))
        let colonioNode = entry.node
        let stream = try blocking { () async throws(ABIFailure) in await colonioNode.subscribe(topic: topic) }
        registration.start(stream)
        entry.addSubscription(registration)
        subscription.pointee = registration.id
    }
}

@_cdecl("colonio_unsubscribe")
public func colonio_unsubscribe(_ node: colonio_node, _ subscription: colonio_subscription) -> colonio_status {
    exported { () throws(ABIFailure) in
        let entry = try NodeRegistry.entry(node)
        guard let registration = entry.removeSubscription(subscription) else {
            throw .invalidHandle("node \(node) has no subscription \(subscription) (unknown, or ended)")
        }
        registration.stop()
    }
}
