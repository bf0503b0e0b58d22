/// What the node machine asks its shell (Swift runtime, browser JavaScript, simulator) to do.
///
/// Interpret directives in order: a `transmit` followed by a `disconnect` for the same peer means
/// "send this, then close".
public enum NodeDirective: Equatable, Sendable {
    /// Open a link to this node (signaling via the seed while the node has no links, via
    /// ``NodeMachine/sendSignal(_:to:now:)`` afterwards). Report ``NodeMachine/linkOpened(_:now:)`` or
    /// ``NodeMachine/linkFailed(_:now:)``. Two nodes may ask for a link to each other at once: keep one
    /// connection per pair (for example the one offered by the lower ID) and report it opened once.
    case connect(NodeID)
    /// Close the link to this node, or abandon opening it. Do not report it back as closed.
    case disconnect(NodeID)
    /// Send these bytes as one frame over the open link to this node.
    case transmit([UInt8], to: NodeID)
    /// A one-way application message arrived.
    case deliverMessage(IncomingMessage)
    /// An application request arrived; answer it with ``NodeMachine/respond(to:payload:now:)``.
    case deliverRequest(IncomingMessage)
    /// A request this node sent finished.
    case requestCompleted(requestID: UInt64, outcome: RequestOutcome)
    /// WebRTC signaling for this node arrived through the overlay.
    case deliverSignal(SignedSignal, from: NodeID)
    /// A spread message arrived (for the geo sub-machine).
    case deliverSpread(IncomingOpaque)
    /// A KVS message arrived (for the KVS sub-machine).
    case deliverKVS(IncomingOpaque)
    /// The successor or predecessor list changed.
    case neighboursChanged(successors: [NodeID], predecessors: [NodeID])
    /// The link to this node went silent past the link timeout: the node has probably crashed or left
    /// (sub-protocols that track nodes, like pub/sub, should forget it). A failed connect attempt is not
    /// reported: it is weak evidence (a full peer, a slow network), and forgetting live nodes on it makes
    /// pub/sub neighbourhoods oscillate.
    case peerLost(NodeID)
    /// The node said it leaves the network (its `disconnect()`): forget it at once. (The KVS still
    /// counts its replicas until the joint phase ends, as after a crash: see docs/kvs.md.)
    case peerLeft(NodeID)
}
