/// One spread message between two nodes; the overlay carries its encoding in the packet's spread body.
///
/// Schema: `docs/spread.proto` (message `SpreadPacket`, a oneof of the cases below).
public enum SpreadPacket: Equatable, Sendable {
    /// A node's position and its Delaunay neighbours, sent to geo neighbours (and contacts) on change.
    case announce(GeoAnnounce)
    /// A publication travelling towards its circle or through it.
    case forward(SpreadForward)
    /// A receiver's report to the publisher (only when the publisher asked for one).
    case receipt(SpreadReceipt)
    /// A subscriber asks the publisher for a payload that was only announced.
    case fetch(SpreadMessageID)
    /// The publisher's answer to a fetch.
    case payload(SpreadPayload)
    /// A node's answer to the node that passed it a publication asking for a receipt
    /// (``ReceiptConvergecast``).
    case branchReport(SpreadBranchReport)

    /// Longest topic, in UTF-8 bytes.
    public static let maximumTopicBytes = 256
    /// Longest payload a decoder accepts; ``SpreadSettings/maximumPayloadBytes`` is checked after decoding.
    public static let maximumPayloadBytes = 64 << 20
    /// Most neighbour entries or covered IDs one message may list.
    public static let maximumListCount = 1024
}

extension SpreadPacket: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var result: SpreadPacket?
        let limit = SpreadPacket.maximumPayloadBytes + 4096
        while let field = try reader.nextField() {
            switch field.number {
            case 1: result = .announce(try reader.readMessage(field, limit: limit))
            case 2: result = .forward(try reader.readMessage(field, limit: limit))
            case 3: result = .receipt(try reader.readMessage(field, limit: 256))
            case 4: result = .fetch(try reader.readMessage(field, limit: 256))
            case 5: result = .payload(try reader.readMessage(field, limit: limit))
            case 6: result = .branchReport(try reader.readMessage(field, limit: 256))
            default: try reader.skip(field)
            }
        }
        guard let result else { throw .missingField(1) }
        self = result
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .announce(let message): writer.write(field: 1, message: message)
        case .forward(let message): writer.write(field: 2, message: message)
        case .receipt(let message): writer.write(field: 3, message: message)
        case .fetch(let message): writer.write(field: 4, message: message)
        case .payload(let message): writer.write(field: 5, message: message)
        case .branchReport(let message): writer.write(field: 6, message: message)
        }
    }
}

/// A position with the version its owner gave it, so that the newest of several reports wins.
public struct VersionedPosition: Equatable, Sendable {
    /// The position.
    public var position: Position
    /// Incremented by the owner each time it moves.
    public var version: UInt64

    /// Creates a versioned position.
    public init(position: Position, version: UInt64) {
        self.position = position
        self.version = version
    }
}

/// A node's geo state as it tells its neighbours.
public struct GeoAnnounce: Equatable, Sendable {
    /// The sender's position.
    public var position: VersionedPosition
    /// The sender's current Delaunay neighbours with the positions it knows for them.
    public var neighbours: [NodeID: VersionedPosition]
    /// Asks the receiver to answer with its own announcement (first contact).
    public var wantReply: Bool
    /// Increases with every announcement the sender makes, so that one overtaken by a later one is dropped.
    public var sequence: UInt64
    /// The representative of the sender's site (the lowest node ID on its point, ``SiteLinks``) as the
    /// sender has heard it down its chain, when that is not the sender: a node that reached any member of
    /// a crowd learns whom to link to at once instead of walking down the chain.
    public var representative: GeoNodeEntry?

    /// Creates an announcement.
    public init(
        position: VersionedPosition, neighbours: [NodeID: VersionedPosition], wantReply: Bool, sequence: UInt64 = 0,
        representative: GeoNodeEntry? = nil
    ) {
        self.position = position
        self.neighbours = neighbours
        self.wantReply = wantReply
        self.sequence = sequence
        self.representative = representative
    }
}

/// A node and its position: an entry of ``GeoAnnounce/neighbours`` on the wire, and
/// ``GeoAnnounce/representative``.
public struct GeoNodeEntry: Equatable, Sendable, WireMessage {
    /// The node.
    public var id: NodeID
    /// Its position as the sender knows it.
    public var position: VersionedPosition

    /// Creates an entry.
    public init(id: NodeID, position: VersionedPosition) {
        self.id = id
        self.position = position
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var id: NodeID?
        var position: Position?
        var version: UInt64 = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: id = try reader.readNodeID(field)
            case 2: position = try reader.readMessage(field, limit: 64)
            case 3: version = try reader.readUInt64(field)
            default: try reader.skip(field)
            }
        }
        guard let id else { throw .missingField(1) }
        guard let position else { throw .missingField(2) }
        self.init(id: id, position: VersionedPosition(position: position, version: version))
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: id)
        writer.write(field: 2, message: position.position)
        writer.write(field: 3, uint64: position.version)
    }
}

extension GeoAnnounce: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var position: Position?
        var version: UInt64 = 0
        var neighbours: [NodeID: VersionedPosition] = [:]
        var wantReply = false
        var sequence: UInt64 = 0
        var representative: GeoNodeEntry?
        var count = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: position = try reader.readMessage(field, limit: 64)
            case 2: version = try reader.readUInt64(field)
            case 3:
                count += 1
                guard count <= SpreadPacket.maximumListCount else {
                    throw .countLimitExceeded(field: 3, limit: SpreadPacket.maximumListCount)
                }
                let entry: GeoNodeEntry = try reader.readMessage(field, limit: 128)
                neighbours[entry.id] = entry.position
            case 4: wantReply = try reader.readBool(field)
            case 5: sequence = try reader.readUInt64(field)
            case 6: representative = try reader.readMessage(field, limit: 128)
            default: try reader.skip(field)
            }
        }
        guard let position else { throw .missingField(1) }
        self.init(position: VersionedPosition(position: position, version: version), neighbours: neighbours,
                  wantReply: wantReply, sequence: sequence, representative: representative)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: position.position)
        writer.write(field: 2, uint64: position.version)
        // Sorted so that equal announcements encode identically.
        for id in neighbours.keys.sorted() {
            writer.write(field: 3, message: GeoNodeEntry(id: id, position: neighbours[id]!))
        }
        if wantReply { writer.write(field: 4, bool: true) }
        if sequence != 0 { writer.write(field: 5, uint64: sequence) }
        if let representative { writer.write(field: 6, message: representative) }
    }
}

/// A publication on its way: greedy towards the circle, then along Delaunay edges inside it.
public struct SpreadForward: Equatable, Sendable {
    /// The message ID (its origin is the publisher).
    public var id: SpreadMessageID
    /// The topic.
    public var topic: String
    /// The circle's centre.
    public var center: Position
    /// The circle's radius (metres on a sphere).
    public var radius: Double
    /// The publisher's position.
    public var senderPosition: Position
    /// The payload when it is at most ``SpreadSettings/inlinePayloadBytes``; otherwise empty.
    public var payload: [UInt8]
    /// The payload's size when it is not inline (subscribers fetch it from the publisher); 0 otherwise.
    public var announcedSize: UInt64
    /// Whether receivers report to the publisher.
    public var wantReceipt: Bool
    /// Node-to-node hops so far.
    public var hops: UInt32
    /// Nodes the previous hop sent this same message to, which the receiver need not forward to.
    public var covered: [NodeID]

    /// Creates a forward message.
    public init(
        id: SpreadMessageID, topic: String, center: Position, radius: Double, senderPosition: Position,
        payload: [UInt8], announcedSize: UInt64, wantReceipt: Bool, hops: UInt32, covered: [NodeID]
    ) {
        self.id = id
        self.topic = topic
        self.center = center
        self.radius = radius
        self.senderPosition = senderPosition
        self.payload = payload
        self.announcedSize = announcedSize
        self.wantReceipt = wantReceipt
        self.hops = hops
        self.covered = covered
    }
}

extension SpreadForward: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var id: SpreadMessageID?
        var topic = ""
        var center: Position?
        var radius = 0.0
        var senderPosition: Position?
        var payload: [UInt8] = []
        var announcedSize: UInt64 = 0
        var wantReceipt = false
        var hops: UInt32 = 0
        var covered: [NodeID] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: id = try reader.readMessage(field, limit: 64)
            case 2: topic = try reader.readString(field, limit: SpreadPacket.maximumTopicBytes)
            case 3: center = try reader.readMessage(field, limit: 64)
            case 4: radius = try reader.readDouble(field)
            case 5: senderPosition = try reader.readMessage(field, limit: 64)
            case 6: payload = try reader.readBytes(field, limit: SpreadPacket.maximumPayloadBytes)
            case 7: announcedSize = try reader.readUInt64(field)
            case 8: wantReceipt = try reader.readBool(field)
            case 9: hops = try reader.readUInt32(field)
            case 10:
                guard covered.count < SpreadPacket.maximumListCount else {
                    throw .countLimitExceeded(field: 10, limit: SpreadPacket.maximumListCount)
                }
                covered.append(try reader.readNodeID(field))
            default: try reader.skip(field)
            }
        }
        guard let id else { throw .missingField(1) }
        guard let center else { throw .missingField(3) }
        guard let senderPosition else { throw .missingField(5) }
        guard radius.isFinite, radius >= 0 else { throw .invalidValue(field: 4) }
        self.init(id: id, topic: topic, center: center, radius: radius, senderPosition: senderPosition,
                  payload: payload, announcedSize: announcedSize, wantReceipt: wantReceipt, hops: hops, covered: covered)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: id)
        writer.write(field: 2, string: topic)
        writer.write(field: 3, message: center)
        writer.write(field: 4, double: radius)
        writer.write(field: 5, message: senderPosition)
        if !payload.isEmpty { writer.write(field: 6, bytes: payload) }
        if announcedSize > 0 { writer.write(field: 7, uint64: announcedSize) }
        if wantReceipt { writer.write(field: 8, bool: true) }
        writer.write(field: 9, uint64: UInt64(hops))
        for node in covered { writer.write(field: 10, nodeID: node) }
    }
}

/// A report to a publisher that asked for receipts.
public struct SpreadReceipt: Equatable, Sendable {
    /// What happened.
    public enum Outcome: UInt64, Sendable {
        /// A subscriber inside the circle took the message.
        case received = 1
        /// Greedy forwarding ended at the node nearest the centre, which is outside the circle: no node is
        /// inside. Sent by earlier versions; nodes now answer hop by hop (``SpreadBranchReport``).
        case noNodeInside = 2
    }

    /// The message.
    public var id: SpreadMessageID
    /// What happened.
    public var outcome: Outcome

    /// Creates a receipt.
    public init(id: SpreadMessageID, outcome: Outcome) {
        self.id = id
        self.outcome = outcome
    }
}

extension SpreadReceipt: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var id: SpreadMessageID?
        var outcome: Outcome?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: id = try reader.readMessage(field, limit: 64)
            case 2:
                guard let value = Outcome(rawValue: try reader.readUInt64(field)) else { throw .invalidValue(field: 2) }
                outcome = value
            default: try reader.skip(field)
            }
        }
        guard let id else { throw .missingField(1) }
        guard let outcome else { throw .missingField(2) }
        self.init(id: id, outcome: outcome)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: id)
        writer.write(field: 2, uint64: outcome.rawValue)
    }
}

/// A node's answer, hop by hop back towards the publisher, for the part of a publication's path that
/// went through it (``ReceiptConvergecast``): whether a subscriber took the publication there.
public struct SpreadBranchReport: Equatable, Sendable {
    /// The message.
    public var id: SpreadMessageID
    /// Whether the sender, or a node it passed the publication to, is a subscriber that took it. `false`
    /// also when the sender had the publication already (it answers for its first sender only).
    public var reached: Bool

    /// Creates a report.
    public init(id: SpreadMessageID, reached: Bool) {
        self.id = id
        self.reached = reached
    }
}

extension SpreadBranchReport: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var id: SpreadMessageID?
        var reached = false
        while let field = try reader.nextField() {
            switch field.number {
            case 1: id = try reader.readMessage(field, limit: 64)
            case 2: reached = try reader.readBool(field)
            default: try reader.skip(field)
            }
        }
        guard let id else { throw .missingField(1) }
        self.init(id: id, reached: reached)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: id)
        if reached { writer.write(field: 2, bool: true) }
    }
}

/// A publisher's answer to a fetch: the payload, or `found == false` once it has expired.
public struct SpreadPayload: Equatable, Sendable {
    /// The message.
    public var id: SpreadMessageID
    /// Whether the publisher still had the payload.
    public var found: Bool
    /// The payload (empty when not found).
    public var payload: [UInt8]

    /// Creates an answer.
    public init(id: SpreadMessageID, found: Bool, payload: [UInt8]) {
        self.id = id
        self.found = found
        self.payload = payload
    }
}

extension SpreadPayload: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var id: SpreadMessageID?
        var found = false
        var payload: [UInt8] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: id = try reader.readMessage(field, limit: 64)
            case 2: found = try reader.readBool(field)
            case 3: payload = try reader.readBytes(field, limit: SpreadPacket.maximumPayloadBytes)
            default: try reader.skip(field)
            }
        }
        guard let id else { throw .missingField(1) }
        self.init(id: id, found: found, payload: payload)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, message: id)
        if found { writer.write(field: 2, bool: true) }
        if !payload.isEmpty { writer.write(field: 3, bytes: payload) }
    }
}
