/// An application message or request delivered to this node.
public struct IncomingMessage: Equatable, Sendable {
    /// The node that sent it.
    public var source: NodeID
    /// The handler name it was sent to.
    public var name: String
    /// The application's bytes.
    public var payload: [UInt8]
    /// Links it travelled.
    public var hopCount: UInt32
    /// For requests, how to answer; `nil` for one-way messages.
    public var reply: ReplyToken?

    /// Creates a delivered message.
    public init(source: NodeID, name: String, payload: [UInt8], hopCount: UInt32, reply: ReplyToken?) {
        self.source = source
        self.name = name
        self.payload = payload
        self.hopCount = hopCount
        self.reply = reply
    }
}

/// A spread or KVS message delivered to this node; the bytes are for that sub-protocol to decode.
public struct IncomingOpaque: Equatable, Sendable {
    /// The node that sent it.
    public var source: NodeID
    /// The ID it was routed to.
    public var destination: NodeID
    /// How ``destination`` was interpreted.
    public var mode: RoutingMode
    /// The sub-protocol's bytes.
    public var bytes: [UInt8]
    /// Links it travelled.
    public var hopCount: UInt32
    /// For requests, how to answer; `nil` for one-way messages.
    public var reply: ReplyToken?

    /// Creates a delivered message.
    public init(
        source: NodeID, destination: NodeID, mode: RoutingMode, bytes: [UInt8], hopCount: UInt32, reply: ReplyToken?
    ) {
        self.source = source
        self.destination = destination
        self.mode = mode
        self.bytes = bytes
        self.hopCount = hopCount
        self.reply = reply
    }
}
