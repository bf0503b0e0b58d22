/// Why the node machine refused an application call outright.
public enum NodeError: Error, Equatable, Sendable {
    /// The node has not started (or has stopped); start it before sending.
    case notStarted
    /// The payload exceeds the network's `maximumMessageBytes`; send less per message.
    case messageTooLarge(size: Int, limit: Int)
    /// A handler name must be 1 to 256 UTF-8 bytes.
    case invalidName
}
