/// A CASPaxos message between a key's proposer and its replicas (acceptors); schema in `docs/kvs.proto`.
///
/// The encoding is exactly one field numbered 40-44 holding the body, so an overlay packet whose body is a
/// oneof with the same numbers can append ``encoded()`` verbatim and hand such a field to
/// ``init(field:reader:)`` when decoding. `request` correlates replies with one phase of one attempt.
public enum KVSMessage: Hashable, Sendable {
    /// Phase 1a: promise to ignore ballots below `ballot` and report what you accepted.
    case prepare(key: KVSKey, request: UInt64, ballot: KVSBallot)
    /// Phase 1b: the promise, with the acceptor's highest accepted ballot and register.
    case promise(key: KVSKey, request: UInt64, ballot: KVSBallot, accepted: KVSBallot, register: KVSRegister)
    /// Phase 2a: accept `register` at `ballot`.
    case accept(key: KVSKey, request: UInt64, ballot: KVSBallot, register: KVSRegister)
    /// Phase 2b: `register` was accepted at `ballot`.
    case accepted(key: KVSKey, request: UInt64, ballot: KVSBallot)
    /// The acceptor already promised `promised`, which is above `ballot`: retry with a higher ballot.
    case reject(key: KVSKey, request: UInt64, ballot: KVSBallot, promised: KVSBallot)

    /// Longest key a decoder accepts; the network's own (smaller) limit is enforced by ``KVSInstance``.
    public static let maximumKeyBytes = 64 * 1024
    /// Largest value a decoder accepts; the network's own (smaller) limit is enforced by ``KVSInstance``.
    public static let maximumValueBytes = 4 * 1024 * 1024
    /// The field numbers KVS messages occupy in an overlay packet.
    public static let fieldNumbers: ClosedRange<UInt32> = 40...49

    /// The key the message is about.
    public var key: KVSKey {
        switch self {
        case .prepare(let key, _, _), .promise(let key, _, _, _, _), .accept(let key, _, _, _),
             .accepted(let key, _, _), .reject(let key, _, _, _):
            return key
        }
    }

    /// Decodes the body of field `field` (40-44) of an overlay packet.
    public init(field: WireReader.Field, reader: inout WireReader) throws(WireDecodingError) {
        let body = try reader.readMessage(
            field, as: Body.self, limit: KVSMessage.maximumKeyBytes + KVSMessage.maximumValueBytes + 256
        )
        switch field.number {
        case 40:
            self = .prepare(key: body.key, request: body.request, ballot: body.ballot)
        case 41:
            self = .promise(
                key: body.key, request: body.request, ballot: body.ballot, accepted: body.otherBallot,
                register: body.register)
        case 42:
            self = .accept(key: body.key, request: body.request, ballot: body.ballot, register: body.register)
        case 43:
            self = .accepted(key: body.key, request: body.request, ballot: body.ballot)
        case 44:
            self = .reject(key: body.key, request: body.request, ballot: body.ballot, promised: body.otherBallot)
        default:
            throw .invalidFieldNumber(UInt64(field.number))
        }
    }

    private var fieldNumberAndBody: (UInt32, Body) {
        switch self {
        case .prepare(let key, let request, let ballot):
            return (40, Body(key: key, request: request, ballot: ballot))
        case .promise(let key, let request, let ballot, let accepted, let register):
            return (41, Body(key: key, request: request, ballot: ballot, otherBallot: accepted, register: register))
        case .accept(let key, let request, let ballot, let register):
            return (42, Body(key: key, request: request, ballot: ballot, register: register))
        case .accepted(let key, let request, let ballot):
            return (43, Body(key: key, request: request, ballot: ballot))
        case .reject(let key, let request, let ballot, let promised):
            return (44, Body(key: key, request: request, ballot: ballot, otherBallot: promised))
        }
    }

    /// The fields every KVS message body shares; which ones matter depends on the kind.
    struct Body: WireMessage {
        var key = KVSKey("")
        var request: UInt64 = 0
        var ballot = KVSBallot.zero
        var otherBallot = KVSBallot.zero
        var register = KVSRegister.empty

        init(
            key: KVSKey, request: UInt64, ballot: KVSBallot, otherBallot: KVSBallot = .zero,
            register: KVSRegister = .empty
        ) {
            (self.key, self.request, self.ballot, self.otherBallot, self.register) =
                (key, request, ballot, otherBallot, register)
        }

        init(from reader: inout WireReader) throws(WireDecodingError) {
            var sawKey = false
            while let field = try reader.nextField() {
                switch field.number {
                case 1:
                    key = KVSKey(try reader.readString(field, limit: KVSMessage.maximumKeyBytes))
                    sawKey = true
                case 2: request = try reader.readUInt64(field)
                case 3: ballot = try reader.readMessage(field, limit: 64)
                case 4: otherBallot = try reader.readMessage(field, limit: 64)
                case 5: register = try reader.readMessage(field, limit: KVSMessage.maximumValueBytes + 64)
                default: try reader.skip(field)
                }
            }
            guard sawKey else { throw .missingField(1) }
        }

        func encode(to writer: inout WireWriter) {
            writer.write(field: 1, bytes: key.utf8)
            writer.write(field: 2, uint64: request)
            writer.write(field: 3, message: ballot)
            if otherBallot != .zero { writer.write(field: 4, message: otherBallot) }
            if register != .empty { writer.write(field: 5, message: register) }
        }
    }
}

extension KVSMessage: WireMessage {
    /// Decodes a buffer holding exactly one KVS field (40-44); other fields are skipped.
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var decoded: KVSMessage?
        while let field = try reader.nextField() {
            if (40...44).contains(field.number) {
                guard decoded == nil else { throw .invalidValue(field: field.number) }
                decoded = try KVSMessage(field: field, reader: &reader)
            } else {
                try reader.skip(field)
            }
        }
        guard let decoded else { throw .missingField(40) }
        self = decoded
    }

    public func encode(to writer: inout WireWriter) {
        let (number, body) = fieldNumberAndBody
        writer.write(field: number, message: body)
    }
}
