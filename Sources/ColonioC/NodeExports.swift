import CColonio
import Colonio
import Foundation
import Logging

@_cdecl("colonio_node_new")
public func colonio_node_new(
    _ options: UnsafePointer<colonio_node_options>?, _ node: UnsafeMutablePointer<colonio_node>?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let node = try BoundaryInput.required(node, "node")
        var nodeOptions = ColonioNodeOptions()
        if let options { nodeOptions = try NodeOptionsInput.read(options) }
        let made = ColonioNode(options: nodeOptions, logger: NodeLogging.logger)
        node.pointee = NodeRegistry.add { handle in NodeEntry(handle: handle, node: made) }
    }
}

@_cdecl("colonio_node_free")
public func colonio_node_free(_ node: colonio_node) -> colonio_status {
    exported { () throws(ABIFailure) in
        let entry = try NodeRegistry.remove(node)
        let (handlers, subscriptions) = entry.removeAll()
        for subscription in subscriptions { subscription.stop() }
        for handler in handlers { handler.queue.close() }
        PendingReplies.failAll(node: node, reason: "the node was freed")
        let colonioNode = entry.node
        try blocking { () async throws(ABIFailure) in await colonioNode.disconnect() }
    }
}

@_cdecl("colonio_node_connect")
public func colonio_node_connect(
    _ node: colonio_node, _ seedURL: UnsafePointer<CChar>?, _ network: UnsafePointer<CChar>?, _ token: UnsafePointer<CChar>?
) -> colonio_status {
    exported { () throws(ABIFailure) in
        let seedURL = try BoundaryInput.string(seedURL, "seed_url")
        let network = try BoundaryInput.string(network, "network")
        let token = try BoundaryInput.string(token, "token")
        let colonioNode = try NodeRegistry.entry(node).node
        try blocking { () async throws(ABIFailure) in
            do throws(ColonioError) {
                try await colonioNode.connect(seed: seedURL, network: network, token: token)
            } catch {
                throw ABIFailure(error)
            }
        }
    }
}

@_cdecl("colonio_node_disconnect")
public func colonio_node_disconnect(_ node: colonio_node) -> colonio_status {
    exported { () throws(ABIFailure) in
        let colonioNode = try NodeRegistry.entry(node).node
        try blocking { () async throws(ABIFailure) in await colonioNode.disconnect() }
    }
}

@_cdecl("colonio_node_id")
public func colonio_node_id(_ node: colonio_node, _ nodeID: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> colonio_status {
    exported { () throws(ABIFailure) in
        let nodeID = try BoundaryInput.required(nodeID, "node_id")
        let colonioNode = try NodeRegistry.entry(node).node
        let hex = try blocking { () async throws(ABIFailure) in await colonioNode.nodeID?.hex }
        guard let hex else { throw ABIFailure(.notConnected) }
        nodeID.pointee = try BoundaryOutput.string(hex)
    }
}

/// Reads `colonio_node_options`, refusing a struct older than this ABI's.
enum NodeOptionsInput {
    static func read(_ options: UnsafePointer<colonio_node_options>) throws(ABIFailure) -> ColonioNodeOptions {
        let raw = options.pointee
        guard raw.struct_size >= UInt32(MemoryLayout<colonio_node_options>.size) else {
            throw .invalidArgument(
                "options.struct_size is \(raw.struct_size); set it to sizeof(colonio_node_options) (\(MemoryLayout<colonio_node_options>.size))")
        }
        var interfaces: [String]?
        if raw.allowed_interface_count > 0 {
            guard let list = raw.allowed_interfaces else {
                throw .invalidArgument("options.allowed_interfaces is NULL with a count of \(raw.allowed_interface_count)")
            }
            var names: [String] = []
            for index in 0..<raw.allowed_interface_count {
                names.append(try BoundaryInput.string(list[index], "options.allowed_interfaces[\(index)]"))
            }
            interfaces = names
        }
        let defaults = ColonioNodeOptions()
        return ColonioNodeOptions(
            loopbackOnly: raw.loopback_only != 0, allowedInterfaces: interfaces,
            tickInterval: raw.tick_interval_ms == 0 ? defaults.tickInterval : .milliseconds(raw.tick_interval_ms),
            retryDelay: raw.retry_delay_ms == 0 ? defaults.retryDelay : .milliseconds(raw.retry_delay_ms),
            maximumRetryDelay: raw.maximum_retry_delay_ms == 0 ? defaults.maximumRetryDelay : .milliseconds(raw.maximum_retry_delay_ms))
    }
}

/// The nodes' log: standard error at `COLONIO_LOG_LEVEL` (default warning). The library never bootstraps
/// the process's `LoggingSystem`: that belongs to the application.
enum NodeLogging {
    static let logger: Logger = {
        let level = ProcessInfo.processInfo.environment["COLONIO_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        var logger = Logger(label: "colonio.node") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = level
        return logger
    }()
}
