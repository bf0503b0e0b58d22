import CColonio
import Colonio

@_cdecl("colonio_handle")
public func colonio_handle(
    _ node: colonio_node, _ name: UnsafePointer<CChar>?, _ handler: colonio_handler_fn?, _ context: UnsafeMutableRawPointer?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let name = try BoundaryInput.string(name, "name")
        guard let handler else { throw .invalidArgument("handler is NULL") }
        let entry = try NodeRegistry.entry(node)
        let registration = HandlerRegistration(node: node, name: name, callback: HandlerCallback(function: handler, context: context))
        let replaced = entry.setHandler(registration, for: name)
        let colonioNode = entry.node
        try blocking { () async throws(ABIFailure) in
            await colonioNode.handle(name) { message in try await registration.handle(message) }
        }
        replaced?.queue.close()
    }
}

@_cdecl("colonio_remove_handler")
public func colonio_remove_handler(_ node: colonio_node, _ name: UnsafePointer<CChar>?) -> colonio_status {
    exported { () throws(ABIFailure) in
        let name = try BoundaryInput.string(name, "name")
        let entry = try NodeRegistry.entry(node)
        guard let removed = entry.removeHandler(name) else { throw .invalidArgument("no handler is registered as '\(name)'") }
        let colonioNode = entry.node
        try blocking { () async throws(ABIFailure) in await colonioNode.removeHandler(name) }
        removed.queue.close()
    }
}

@_cdecl("colonio_reply_bytes")
public func colonio_reply_bytes(_ reply: colonio_reply, _ payload: UnsafePointer<UInt8>?, _ length: Int) -> colonio_status {
    exported { () throws(ABIFailure) in
        let bytes = try BoundaryInput.bytes(payload, length, "payload")
        try PendingReplies.resolve(reply, with: .success(bytes))
    }
}

@_cdecl("colonio_reply_error")
public func colonio_reply_error(_ reply: colonio_reply, _ message: UnsafePointer<CChar>?) -> colonio_status {
    exported { () throws(ABIFailure) in
        var text = "the handler failed"
        if message != nil { text = try BoundaryInput.string(message, "message") }
        try PendingReplies.resolve(reply, with: .failure(HandlerFailure(description: text)))
    }
}

@_cdecl("colonio_send")
public func colonio_send(
    _ node: colonio_node, _ destination: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
    _ payload: UnsafePointer<UInt8>?, _ length: Int
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let destinationHex = try BoundaryInput.nodeID(destination, "destination").hex
        let name = try BoundaryInput.string(name, "name")
        let bytes = try BoundaryInput.bytes(payload, length, "payload")
        let colonioNode = try NodeRegistry.entry(node).node
        try blocking { () async throws(ABIFailure) in
            // The ID travels as text: task closures must not capture a `NodeID` (docs/toolchain-bugs/uint128-task-capture.swift).
            guard let id = NodeID(hex: destinationHex) else { throw .internalError("node ID lost its form") }
            do throws(ColonioError) { try await colonioNode.send(bytes, to: id, name: name) } catch { throw ABIFailure(error) }
        }
    }
}

@_cdecl("colonio_send_to_owner")
public func colonio_send_to_owner(
    _ node: colonio_node, _ key: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
    _ payload: UnsafePointer<UInt8>?, _ length: Int
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let key = try BoundaryInput.string(key, "key")
        let name = try BoundaryInput.string(name, "name")
        let bytes = try BoundaryInput.bytes(payload, length, "payload")
        let colonioNode = try NodeRegistry.entry(node).node
        try blocking { () async throws(ABIFailure) in
            do throws(ColonioError) { try await colonioNode.send(bytes, toOwnerOf: key, name: name) } catch { throw ABIFailure(error) }
        }
    }
}

@_cdecl("colonio_request")
public func colonio_request(
    _ node: colonio_node, _ destination: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
    _ payload: UnsafePointer<UInt8>?, _ length: Int,
    _ response: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, _ responseLength: UnsafeMutablePointer<Int>?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let destinationHex = try BoundaryInput.nodeID(destination, "destination").hex
        try request(node, name, payload, length, response, responseLength) {
            (colonioNode, bytes, name) async throws(ColonioError) -> [UInt8] in
            guard let id = NodeID(hex: destinationHex) else { throw .unreachable }
            return try await colonioNode.request(bytes, to: id, name: name)
        }
    }
}

@_cdecl("colonio_request_to_owner")
public func colonio_request_to_owner(
    _ node: colonio_node, _ key: UnsafePointer<CChar>?, _ name: UnsafePointer<CChar>?,
    _ payload: UnsafePointer<UInt8>?, _ length: Int,
    _ response: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, _ responseLength: UnsafeMutablePointer<Int>?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let key = try BoundaryInput.string(key, "key")
        try request(node, name, payload, length, response, responseLength) {
            (colonioNode, bytes, name) async throws(ColonioError) -> [UInt8] in
            try await colonioNode.request(bytes, toOwnerOf: key, name: name)
        }
    }
}

/// The part of both requests after their destination: inputs read, the request run, the response handed out.
private func request(
    _ node: colonio_node, _ name: UnsafePointer<CChar>?, _ payload: UnsafePointer<UInt8>?, _ length: Int,
    _ response: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, _ responseLength: UnsafeMutablePointer<Int>?,
    _ send: @escaping @Sendable (ColonioNode, [UInt8], String) async throws(ColonioError) -> [UInt8]
) throws(ABIFailure) {
    let name = try BoundaryInput.string(name, "name")
    let bytes = try BoundaryInput.bytes(payload, length, "payload")
    let response = try BoundaryInput.required(response, "response")
    let responseLength = try BoundaryInput.required(responseLength, "response_length")
    let colonioNode = try NodeRegistry.entry(node).node
    let reply = try blocking { () async throws(ABIFailure) -> [UInt8] in
        do throws(ColonioError) { return try await send(colonioNode, bytes, name) } catch { throw ABIFailure(error) }
    }
    response.pointee = try BoundaryOutput.bytes(reply)
    responseLength.pointee = reply.count
}
