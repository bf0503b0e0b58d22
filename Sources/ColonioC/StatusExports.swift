import CColonio
import Colonio
import Foundation

@_cdecl("colonio_node_status_json")
public func colonio_node_status_json(_ node: colonio_node, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> colonio_status {
    exported { () throws(ABIFailure) in
        let json = try BoundaryInput.required(json, "json")
        let colonioNode = try NodeRegistry.entry(node).node
        let text = try blocking { () async throws(ABIFailure) -> String in
            try StatusJSON.text(StatusJSON.object(await colonioNode.status()))
        }
        json.pointee = try BoundaryOutput.string(text)
    }
}

@_cdecl("colonio_node_links_json")
public func colonio_node_links_json(_ node: colonio_node, _ json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> colonio_status {
    exported { () throws(ABIFailure) in
        let json = try BoundaryInput.required(json, "json")
        let colonioNode = try NodeRegistry.entry(node).node
        let text = try blocking { () async throws(ABIFailure) -> String in
            try StatusJSON.text(await colonioNode.links().map { link in StatusJSON.object(link) })
        }
        json.pointee = try BoundaryOutput.string(text)
    }
}

/// The node's status and links as the JSON colonio.h documents.
enum StatusJSON {
    static func object(_ status: NodeStatus) -> [String: Any] {
        [
            "nodeID": orNull(status.nodeID?.hex),
            "network": orNull(status.network),
            "isConnected": status.isConnected,
            "isSeedConnected": status.isSeedConnected,
            "hasJoined": status.hasJoined,
            "position": orNull(status.position.map { ["x": $0.x, "y": $0.y] }),
            "successors": status.successors.map(\.hex),
            "predecessors": status.predecessors.map(\.hex),
            "linkCount": status.linkCount,
            "pendingLinkCount": status.pendingLinkCount,
            "pendingRequestCount": status.pendingRequestCount,
            "subscriptions": status.subscriptions,
        ]
    }

    static func object(_ link: LinkStatus) -> [String: Any] {
        [
            "peer": link.peer.hex,
            "state": link.state.rawValue,
            "isOfferer": link.isOfferer,
            "localCandidateType": orNull(link.localCandidateType?.rawValue),
            "remoteCandidateType": orNull(link.remoteCandidateType?.rawValue),
            "roundTripTimeMs": orNull(link.roundTripTime.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }),
            "bytesSent": Int(clamping: link.bytesSent),
            "bytesReceived": Int(clamping: link.bytesReceived),
        ]
    }

    /// JSON's null for a missing value.
    private static func orNull(_ value: Any?) -> Any {
        value ?? NSNull()
    }

    static func text(_ object: Any) throws(ABIFailure) -> String {
        do {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw .internalError("cannot encode the status as JSON: \(error)")
        }
    }
}
