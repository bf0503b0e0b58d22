import ColonioCore

/// A ``NetworkRegistry`` whose operations complete at once, without suspending.
///
/// The seed handles every WebSocket frame on the connection's event loop. With a registry of this
/// kind it signs a node in or relays a signal in one synchronous step, with no Swift task per
/// connection or per frame; any other ``NetworkRegistry`` is called from a short-lived task while the
/// connection stops reading (see `SeedWebSocketHandler`).
///
/// Because the methods run on an event loop they must never block: no I/O, no waiting, only short
/// critical sections. A registry that talks to a database conforms to ``NetworkRegistry`` alone.
///
/// The requirements repeat ``NetworkRegistry``'s without `async`; a conforming type implements only
/// these, which satisfy both protocols. (In an `async` context a call through the existential
/// `any SynchronousNetworkRegistry` resolves to the `async` requirement; the seed calls from
/// synchronous code.)
public protocol SynchronousNetworkRegistry: NetworkRegistry {
    /// Registers a node; see ``NetworkRegistry/register(network:nodeID:maximumNodes:predecessors:successors:mailbox:)``.
    func register(
        network: String, nodeID: NodeID?, maximumNodes: Int, predecessors: Int, successors: Int, mailbox: SeedMailbox
    ) throws(NetworkRegistryError) -> NodeRegistration

    /// Removes `nodeID` if `mailbox` still holds it; see ``NetworkRegistry/unregister(network:nodeID:mailbox:)``.
    func unregister(network: String, nodeID: NodeID, mailbox: SeedMailbox)

    /// See ``NetworkRegistry/nearest(network:to:predecessors:successors:)``.
    func nearest(network: String, to nodeID: NodeID, predecessors: Int, successors: Int) -> [NodeID]

    /// The mailbox of a node registered in `network`, or `nil`.
    func mailbox(network: String, nodeID: NodeID) -> SeedMailbox?

    /// How many nodes are registered in `network`.
    func nodeCount(network: String) -> Int
}
