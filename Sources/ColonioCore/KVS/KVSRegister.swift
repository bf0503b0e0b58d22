/// The state of one key's register: its current value, or a tombstone that remembers the version.
///
/// `version == 0` with no value means never written. Tombstones are kept forever so a delete cannot be
/// undone by a replica that still holds an older value: the register with the higher ballot always wins.
///
/// The register also remembers which operations made its last few writes (``recentWrites``), so a
/// proposer that retries after its accept messages went out can tell whether its first try took effect
/// instead of applying the change twice.
public struct KVSRegister: Hashable, Sendable {
    /// The version of the last put or delete; 0 if the key was never written.
    public var version: UInt64
    /// The value's bytes, `nil` if absent or deleted.
    public var bytes: [UInt8]?
    /// The operations behind the last writes, oldest first, at most ``recentWriteLimit``; one per version.
    public var recentWrites: [KVSWriteTag]

    /// How many writers a register remembers.
    public static let recentWriteLimit = 8

    /// Creates a register state.
    public init(version: UInt64 = 0, bytes: [UInt8]? = nil, recentWrites: [KVSWriteTag] = []) {
        self.version = version
        self.bytes = bytes
        self.recentWrites = recentWrites
    }

    /// A key never written.
    public static let empty = KVSRegister()

    /// The client-visible value, `nil` when absent or deleted.
    public var value: KVSValue? {
        bytes.map { KVSValue(bytes: $0, version: version) }
    }

    /// The outcome of applying `command` to this state: the register to write back and the client's result.
    public func applying(
        _ command: KVSCommand, by writer: KVSWriteTag
    ) -> (next: KVSRegister, result: Result<KVSValue?, KVSError>) {
        switch command {
        case .get, .repair:
            return (self, .success(value))
        case .put(let newBytes, let condition):
            guard condition.isMet(by: value) else {
                return (self, .failure(.conditionFailed(currentVersion: value?.version)))
            }
            let next = written(bytes: newBytes, by: writer)
            return (next, .success(next.value))
        case .delete(let condition):
            guard condition.isMet(by: value) else {
                return (self, .failure(.conditionFailed(currentVersion: value?.version)))
            }
            if bytes == nil { return (self, .success(nil)) }
            return (written(bytes: nil, by: writer), .success(nil))
        }
    }

    /// The version `writer` gave this register, if it is among the remembered writers.
    public func version(writtenBy writer: KVSWriteTag) -> UInt64? {
        recentWrites.last { $0.node == writer.node && $0.operation == writer.operation }?.version
    }

    /// The lowest version whose writer is still known; writes below it cannot be identified any more.
    public var oldestKnownWriteVersion: UInt64 {
        recentWrites.first?.version ?? version &+ 1
    }

    private func written(bytes newBytes: [UInt8]?, by writer: KVSWriteTag) -> KVSRegister {
        var tag = writer
        tag.version = version &+ 1
        var writes = recentWrites
        writes.append(tag)
        let excess = writes.count - KVSRegister.recentWriteLimit
        if excess > 0 { writes.removeFirst(excess) }
        return KVSRegister(version: tag.version, bytes: newBytes, recentWrites: writes)
    }
}

extension KVSRegister: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self = .empty
        var present = false
        var payload: [UInt8] = []
        while let field = try reader.nextField() {
            switch field.number {
            case 1: version = try reader.readUInt64(field)
            case 2: present = try reader.readBool(field)
            case 3: payload = try reader.readBytes(field, limit: KVSMessage.maximumValueBytes)
            case 4:
                guard recentWrites.count < KVSRegister.recentWriteLimit else {
                    throw .countLimitExceeded(field: 4, limit: KVSRegister.recentWriteLimit)
                }
                recentWrites.append(try reader.readMessage(field, limit: 64))
            default: try reader.skip(field)
            }
        }
        if present {
            bytes = payload
        } else if !payload.isEmpty {
            throw .invalidValue(field: 3)
        }
    }

    public func encode(to writer: inout WireWriter) {
        if version != 0 { writer.write(field: 1, uint64: version) }
        if let bytes {
            writer.write(field: 2, bool: true)
            if !bytes.isEmpty { writer.write(field: 3, bytes: bytes) }
        }
        for tag in recentWrites { writer.write(field: 4, message: tag) }
    }
}

/// Which operation wrote a register version: a proposer's node and its operation number.
public struct KVSWriteTag: Hashable, Sendable {
    /// The proposing node.
    public var node: NodeID
    /// The operation's number on that node.
    public var operation: UInt64
    /// The version the write produced.
    public var version: UInt64

    /// Creates a tag.
    public init(node: NodeID, operation: UInt64, version: UInt64 = 0) {
        self.node = node
        self.operation = operation
        self.version = version
    }
}

extension KVSWriteTag: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(node: .zero, operation: 0)
        while let field = try reader.nextField() {
            switch field.number {
            case 1: node = try reader.readNodeID(field)
            case 2: operation = try reader.readUInt64(field)
            case 3: version = try reader.readUInt64(field)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, nodeID: node)
        writer.write(field: 2, uint64: operation)
        writer.write(field: 3, uint64: version)
    }
}
