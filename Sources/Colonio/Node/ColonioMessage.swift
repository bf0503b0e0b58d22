import ColonioCore

/// A message or request delivered to a handler registered with ``ColonioNode/handle(_:handler:)``.
public struct ColonioMessage: Sendable {
    /// The node that sent it.
    public var source: NodeID
    /// The handler name it was sent to.
    public var name: String
    /// The application's bytes.
    public var payload: [UInt8]
    /// How many links it travelled.
    public var hopCount: Int
    /// Whether the sender waits for the handler's returned bytes (``ColonioNode/request(_:to:name:)``).
    public var isRequest: Bool
}

/// Handles messages sent to one name; for requests, the returned bytes are the response
/// (ignored for one-way messages). A thrown error reaches the requester as
/// ``ColonioError/handlerFailed(_:)`` with the error's description.
public typealias ColonioHandler = @Sendable (ColonioMessage) async throws -> [UInt8]
