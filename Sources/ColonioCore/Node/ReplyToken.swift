/// Everything needed to answer one received request; pass it back to ``NodeMachine/respond(to:payload:now:)``.
public struct ReplyToken: Hashable, Sendable {
    /// The node that sent the request.
    public var requester: NodeID
    /// The requester's request ID.
    public var requestID: UInt64
    /// The channel the request arrived on (and the answer goes back on).
    public var channel: MessageChannel

    /// Creates a token.
    public init(requester: NodeID, requestID: UInt64, channel: MessageChannel) {
        self.requester = requester
        self.requestID = requestID
        self.channel = channel
    }
}
