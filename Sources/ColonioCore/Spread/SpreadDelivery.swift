/// A spread message handed to the application of a subscribing node inside the message's circle.
public struct SpreadDelivery: Equatable, Sendable {
    /// The message's network-wide ID (its `origin` is the publisher).
    public var id: SpreadMessageID
    /// The topic the publisher chose.
    public var topic: String
    /// The published bytes.
    public var payload: [UInt8]
    /// The publisher's position when it published.
    public var senderPosition: Position
    /// The circle's centre.
    public var center: Position
    /// The circle's radius (metres on a sphere).
    public var radius: Double
    /// How many node-to-node hops the message took to reach this node.
    public var hops: UInt32

    /// The publishing node.
    public var sender: NodeID { id.origin }

    /// Creates a delivery.
    public init(
        id: SpreadMessageID, topic: String, payload: [UInt8], senderPosition: Position,
        center: Position, radius: Double, hops: UInt32
    ) {
        self.id = id
        self.topic = topic
        self.payload = payload
        self.senderPosition = senderPosition
        self.center = center
        self.radius = radius
        self.hops = hops
    }
}

/// Per-publication choices. Without any, a publication is fire-and-forget: it reaches every other
/// subscriber inside the circle once, and the publisher learns nothing about who took it.
public struct SpreadOptions: Equatable, Sendable {
    /// Also deliver the message to the publisher when it is inside the circle and subscribes to the topic
    /// (it never counts as a receiver for ``requireReceiver``).
    public var deliverToSelf: Bool
    /// Wait for the outcome: ``GeoDirective/publishSucceeded(_:)`` as soon as another subscriber inside the
    /// circle took the message, or ``GeoDirective/publishFailed(_:_:)`` with ``SpreadError/noReceiver``
    /// when none did. "None did" is known once every node the message went through has answered, a few
    /// round trips after publishing on a settled network; when an answer is lost (a node on the way
    /// crashed), after ``GeoInstance/receiptTimeoutMilliseconds`` (10 s). The native node's `publish`
    /// returns or throws then; colonio.js's `publish` resolves or rejects.
    public var requireReceiver: Bool

    /// Creates options; by default the publisher does not receive its own message and nothing is reported.
    public init(deliverToSelf: Bool = false, requireReceiver: Bool = false) {
        self.deliverToSelf = deliverToSelf
        self.requireReceiver = requireReceiver
    }
}
