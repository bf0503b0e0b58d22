import CColonio

/// A C handler function and its context. C promises (colonio.h) the pair may be called from any thread.
struct HandlerCallback: @unchecked Sendable {
    let function: colonio_handler_fn
    let context: UnsafeMutableRawPointer?

    func call(reply: UInt64, source: String, name: String, payload: [UInt8], hops: UInt32) {
        source.withCString { source in
            name.withCString { name in
                payload.withUnsafeBufferPointer { bytes in
                    function(context, reply, source, name, bytes.baseAddress, bytes.count, hops)
                }
            }
        }
    }
}

/// A C subscription function and its context.
struct DeliveryCallback: @unchecked Sendable {
    let function: colonio_delivery_fn
    let context: UnsafeMutableRawPointer?

    func call(_ delivery: CopiedDelivery) {
        delivery.topic.withCString { topic in
            delivery.sender.withCString { sender in
                delivery.payload.withUnsafeBufferPointer { bytes in
                    function(
                        context, topic, sender, bytes.baseAddress, bytes.count,
                        delivery.centerX, delivery.centerY, delivery.radius, delivery.hops)
                }
            }
        }
    }
}

/// What a C subscriber gets of a `SpreadDelivery`, in plain values (no `NodeID` leaves the task).
struct CopiedDelivery: Sendable {
    var topic: String
    var sender: String
    var payload: [UInt8]
    var centerX: Double
    var centerY: Double
    var radius: Double
    var hops: UInt32
}
