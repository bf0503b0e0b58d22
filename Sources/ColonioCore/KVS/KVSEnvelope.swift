/// Everything the KVS sends in an overlay packet's `kvs` body; schema in `docs/kvs.proto`.
///
/// Consensus messages go between a key's proposer and its replicas; a client's operation goes to the
/// owner of the key's ring position as a request, which answers with the result.
public enum KVSEnvelope: Equatable, Sendable {
    /// A CASPaxos message (fields 40-44).
    case consensus(KVSMessage)
    /// A client's operation, sent to the owner of the key (field 45).
    case request(KVSClientRequest)
    /// The owner's answer to a ``request(_:)`` (field 46).
    case response(Result<KVSValue?, KVSError>)
}

extension KVSEnvelope: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var decoded: KVSEnvelope?
        while let field = try reader.nextField() {
            let value: KVSEnvelope
            switch field.number {
            case 40...44:
                value = .consensus(try KVSMessage(field: field, reader: &reader))
            case 45:
                value = .request(try reader.readMessage(
                    field, limit: KVSMessage.maximumKeyBytes + KVSMessage.maximumValueBytes + 256))
            case 46:
                let response: KVSClientResponse = try reader.readMessage(
                    field, limit: KVSMessage.maximumValueBytes + 256)
                value = .response(response.result)
            default:
                try reader.skip(field)
                continue
            }
            guard decoded == nil else { throw .invalidValue(field: field.number) }
            decoded = value
        }
        guard let decoded else { throw .missingField(45) }
        self = decoded
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .consensus(let message): message.encode(to: &writer)
        case .request(let request): writer.write(field: 45, message: request)
        case .response(let result): writer.write(field: 46, message: KVSClientResponse(result: result))
        }
    }
}

/// A client's operation on one key, as sent to the key's owner.
public struct KVSClientRequest: Equatable, Sendable {
    /// Numbers the client's operations; with the client's node ID it tags the write, so a retry that reaches
    /// another owner is not applied twice.
    public var operation: UInt64
    /// The key.
    public var key: KVSKey
    /// What to do; never ``KVSCommand/repair`` (owners refuse it from clients).
    public var command: KVSCommand

    /// Creates a request.
    public init(operation: UInt64, key: KVSKey, command: KVSCommand) {
        self.operation = operation
        self.key = key
        self.command = command
    }
}

extension KVSClientRequest: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(operation: 0, key: KVSKey(""), command: .get)
        var sawKey = false
        var kind: UInt64 = 0
        var bytes: [UInt8] = []
        var condition = KVSCondition.none
        while let field = try reader.nextField() {
            switch field.number {
            case 1: operation = try reader.readUInt64(field)
            case 2:
                key = KVSKey(try reader.readString(field, limit: KVSMessage.maximumKeyBytes))
                sawKey = true
            case 3: kind = try reader.readUInt64(field)
            case 4: bytes = try reader.readBytes(field, limit: KVSMessage.maximumValueBytes)
            case 5: condition = try reader.readMessage(field, limit: 32)
            default: try reader.skip(field)
            }
        }
        guard sawKey else { throw .missingField(2) }
        switch kind {
        case 0: command = .get
        case 1: command = .put(bytes, condition: condition)
        case 2: command = .delete(condition: condition)
        default: throw .invalidValue(field: 3)
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, uint64: operation)
        writer.write(field: 2, bytes: key.utf8)
        switch command {
        case .get, .repair:
            break
        case .put(let bytes, let condition):
            writer.write(field: 3, uint64: 1)
            if !bytes.isEmpty { writer.write(field: 4, bytes: bytes) }
            if condition != .none { writer.write(field: 5, message: condition) }
        case .delete(let condition):
            writer.write(field: 3, uint64: 2)
            if condition != .none { writer.write(field: 5, message: condition) }
        }
    }
}

extension KVSCondition: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var kind: UInt64 = 0
        var version: UInt64 = 0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: kind = try reader.readUInt64(field)
            case 2: version = try reader.readUInt64(field)
            default: try reader.skip(field)
            }
        }
        switch kind {
        case 0: self = .none
        case 1: self = .ifAbsent
        case 2: self = .ifPresent
        case 3: self = .ifVersion(version)
        default: throw .invalidValue(field: 1)
        }
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .none: break
        case .ifAbsent: writer.write(field: 1, uint64: 1)
        case .ifPresent: writer.write(field: 1, uint64: 2)
        case .ifVersion(let version):
            writer.write(field: 1, uint64: 3)
            writer.write(field: 2, uint64: version)
        }
    }
}

/// The result of a client's operation on the wire: a value, nothing, or an error.
struct KVSClientResponse: WireMessage {
    var result: Result<KVSValue?, KVSError>

    init(result: Result<KVSValue?, KVSError>) {
        self.result = result
    }

    init(from reader: inout WireReader) throws(WireDecodingError) {
        var present = false
        var bytes: [UInt8] = []
        var version: UInt64 = 0
        var errorCode: UInt64 = 0
        var detail: UInt64?
        while let field = try reader.nextField() {
            switch field.number {
            case 1: present = try reader.readBool(field)
            case 2: bytes = try reader.readBytes(field, limit: KVSMessage.maximumValueBytes)
            case 3: version = try reader.readUInt64(field)
            case 4: errorCode = try reader.readUInt64(field)
            case 5: detail = try reader.readUInt64(field)
            default: try reader.skip(field)
            }
        }
        switch errorCode {
        case 0: result = .success(present ? KVSValue(bytes: bytes, version: version) : nil)
        case 1: result = .failure(.conditionFailed(currentVersion: detail))
        case 2: result = .failure(.unavailable)
        case 3: result = .failure(.timeout)
        case 4: result = .failure(.valueTooLarge(limit: UInt32(truncatingIfNeeded: detail ?? 0)))
        case 5: result = .failure(.keyTooLarge(limit: UInt32(truncatingIfNeeded: detail ?? 0)))
        default: throw .invalidValue(field: 4)
        }
    }

    func encode(to writer: inout WireWriter) {
        switch result {
        case .success(let value):
            guard let value else { return }
            writer.write(field: 1, bool: true)
            if !value.bytes.isEmpty { writer.write(field: 2, bytes: value.bytes) }
            writer.write(field: 3, uint64: value.version)
        case .failure(let error):
            switch error {
            case .conditionFailed(let current):
                writer.write(field: 4, uint64: 1)
                if let current { writer.write(field: 5, uint64: current) }
            case .unavailable: writer.write(field: 4, uint64: 2)
            case .timeout: writer.write(field: 4, uint64: 3)
            case .valueTooLarge(let limit):
                writer.write(field: 4, uint64: 4)
                writer.write(field: 5, uint64: UInt64(limit))
            case .keyTooLarge(let limit):
                writer.write(field: 4, uint64: 5)
                writer.write(field: 5, uint64: UInt64(limit))
            }
        }
    }
}
