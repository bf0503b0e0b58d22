import CColonio
import Colonio

/// Reads a condition of colonio.h (`COLONIO_KVS_*`) and its version.
private func kvsCondition(_ code: Int32, _ version: UInt64) throws(ABIFailure) -> KVSCondition {
    switch code {
    case 0: return .none
    case 1: return .ifAbsent
    case 2: return .ifPresent
    case 3: return .ifVersion(version)
    default: throw .invalidArgument("unknown KVS condition \(code)")
    }
}

@_cdecl("colonio_kvs_get")
public func colonio_kvs_get(
    _ node: colonio_node, _ key: UnsafePointer<CChar>?, _ found: UnsafeMutablePointer<Int32>?,
    _ value: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, _ valueLength: UnsafeMutablePointer<Int>?,
    _ version: UnsafeMutablePointer<UInt64>?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let key = try BoundaryInput.string(key, "key")
        let found = try BoundaryInput.required(found, "found")
        let value = try BoundaryInput.required(value, "value")
        let valueLength = try BoundaryInput.required(valueLength, "value_length")
        let version = try BoundaryInput.required(version, "version")
        let colonioNode = try NodeRegistry.entry(node).node
        let stored = try blocking { () async throws(ABIFailure) -> KVSValue? in
            do throws(ColonioError) { return try await colonioNode.kvs.get(key) } catch { throw ABIFailure(error) }
        }
        if let stored {
            value.pointee = try BoundaryOutput.bytes(stored.bytes)
            valueLength.pointee = stored.bytes.count
            version.pointee = stored.version
            found.pointee = 1
        } else {
            value.pointee = nil
            valueLength.pointee = 0
            version.pointee = 0
            found.pointee = 0
        }
    }
}

@_cdecl("colonio_kvs_put")
public func colonio_kvs_put(
    _ node: colonio_node, _ key: UnsafePointer<CChar>?, _ value: UnsafePointer<UInt8>?, _ length: Int,
    _ conditionCode: Int32, _ expectedVersion: UInt64, _ version: UnsafeMutablePointer<UInt64>?
) -> colonio_status {
    kvsWrite(version) { () throws(ABIFailure) in
        let key = try BoundaryInput.string(key, "key")
        let bytes = try BoundaryInput.bytes(value, length, "value")
        let condition = try kvsCondition(conditionCode, expectedVersion)
        let colonioNode = try NodeRegistry.entry(node).node
        return try blocking { () async throws(ABIFailure) -> UInt64 in
            do throws(ColonioError) { return try await colonioNode.kvs.put(key, bytes, condition: condition).version } catch { throw ABIFailure(error) }
        }
    }
}

@_cdecl("colonio_kvs_delete")
public func colonio_kvs_delete(
    _ node: colonio_node, _ key: UnsafePointer<CChar>?, _ conditionCode: Int32, _ expectedVersion: UInt64,
    _ version: UnsafeMutablePointer<UInt64>?
) -> colonio_status {
    kvsWrite(version) { () throws(ABIFailure) in
        let key = try BoundaryInput.string(key, "key")
        let condition = try kvsCondition(conditionCode, expectedVersion)
        let colonioNode = try NodeRegistry.entry(node).node
        try blocking { () async throws(ABIFailure) in
            do throws(ColonioError) { try await colonioNode.kvs.delete(key, condition: condition) } catch { throw ABIFailure(error) }
        }
        return nil
    }
}

/// A put or delete: the new version, or on a failed condition the key's current one, goes to `version`.
private func kvsWrite(
    _ version: UnsafeMutablePointer<UInt64>?, _ body: () throws(ABIFailure) -> UInt64?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        do throws(ABIFailure) {
            if let written = try body() { version?.pointee = written }
        } catch {
            if let current = error.currentVersion { version?.pointee = current }
            throw error
        }
    }
}
