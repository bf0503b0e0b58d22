import ColonioCore
import Foundation

/// What one seed tells another through `NOTIFY` on the receiver's channel (`colonio_seed_<id>`).
///
/// Text, since NOTIFY payloads are text: a kind letter, then fields separated by newlines (network
/// names cannot hold one). A payload must stay under PostgreSQL's 8,000 bytes; a larger signal goes
/// through the `colonio_signals` table and only its row ID is notified.
enum SeedNotification: Equatable {
    /// Deliver `frame` (an encoded `relayedSignal`) to node `to` of `network`.
    case signal(network: String, to: NodeID, frame: [UInt8])
    /// A signal waiting in `colonio_signals` under `id`.
    case queuedSignal(id: Int64)
    /// Close the connection `connection` of node `nodeID`: the node resumed on another seed.
    case close(network: String, nodeID: NodeID, connection: Int64)

    /// Longest payload sent inline; PostgreSQL refuses 8,000 bytes and more.
    static let maximumPayloadBytes = 7_900

    var payload: String {
        switch self {
        case .signal(let network, let to, let frame):
            "s\(network)\n\(to.hex)\n\(Data(frame).base64EncodedString())"
        case .queuedSignal(let id):
            "q\(id)"
        case .close(let network, let nodeID, let connection):
            "c\(network)\n\(nodeID.hex)\n\(connection)"
        }
    }

    init(network: String, to: NodeID, frame: [UInt8]) {
        self = .signal(network: network, to: to, frame: frame)
    }

    init?(payload: String) {
        guard let kind = payload.first else { return nil }
        let fields = payload.dropFirst().split(separator: "\n", omittingEmptySubsequences: false)
        switch kind {
        case "s":
            guard fields.count == 3, let to = NodeID(hex: fields[1]),
                let frame = Data(base64Encoded: String(fields[2]))
            else { return nil }
            self = .signal(network: String(fields[0]), to: to, frame: Array(frame))
        case "q":
            guard fields.count == 1, let id = Int64(fields[0]) else { return nil }
            self = .queuedSignal(id: id)
        case "c":
            guard fields.count == 3, let nodeID = NodeID(hex: fields[1]), let connection = Int64(fields[2]) else {
                return nil
            }
            self = .close(network: String(fields[0]), nodeID: nodeID, connection: connection)
        default:
            return nil
        }
    }
}
