/// What a ``GeoInstance`` asks its shell to do.
public enum GeoDirective: Equatable, Sendable {
    /// Send an encoded ``SpreadPacket`` to a node. Geo neighbours are linked (see ``wantNeighbours(_:)``);
    /// other destinations (a contact, a publisher for fetches and receipts) are reached through the overlay.
    case send([UInt8], to: NodeID)
    /// Hand a message to the application's subscription for its topic.
    case deliver(SpreadDelivery)
    /// The complete set of nodes this node wants direct links with for spread (its geo neighbours and the
    /// nodes that consider it theirs). Emitted whenever the set changes; links to nodes that left it may close.
    case wantNeighbours(Set<NodeID>)
    /// A publication with ``SpreadOptions/requireReceiver`` reached at least one other subscriber.
    case publishSucceeded(SpreadMessageID)
    /// A publication with ``SpreadOptions/requireReceiver`` reached nobody.
    case publishFailed(SpreadMessageID, SpreadError)
}
