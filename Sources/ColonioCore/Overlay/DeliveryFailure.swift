/// Why the overlay could not deliver or answer a request, as sent back to the requester (body field 22).
public struct DeliveryFailure: Equatable, Sendable {
    /// Stable failure codes; numbers never change meaning.
    public enum Code: UInt32, Equatable, Sendable {
        /// A code this version does not know.
        case unknown = 0
        /// The destination node registered no handler for the message's name.
        case noHandler = 1
        /// No node with the destination ID is on the ring.
        case unreachable = 2
        /// The packet travelled the network's hop limit without arriving.
        case hopLimitExceeded = 3
        /// The message exceeded the network's size limit.
        case messageTooLarge = 4
        /// The destination does not understand the request's body.
        case unsupported = 5
        /// The destination's handler failed; ``DeliveryFailure/detail`` says why.
        case handlerFailed = 6
    }

    /// What went wrong.
    public var code: Code
    /// A human-readable explanation (may be empty).
    public var detail: String

    /// Longest detail text, in UTF-8 bytes.
    public static let maximumDetailBytes = 1024

    /// Creates a failure.
    public init(code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }
}

extension DeliveryFailure: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(code: .unknown)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: code = Code(rawValue: try reader.readUInt32(field)) ?? .unknown
            case 2: detail = try reader.readString(field, limit: DeliveryFailure.maximumDetailBytes)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: UInt64(code.rawValue))
        if !detail.isEmpty { writer.write(field: 2, string: detail) }
    }
}
