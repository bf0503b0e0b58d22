import ColonioCore
import ColonioSeed

/// The nodes whose connections this seed holds: their mailboxes, and which connection (a number
/// unique in this seed's run) the database row names, so a late unregistration or a remote close
/// reaches only the connection it was meant for.
struct LocalRegistrations {
    struct Entry {
        var mailbox: SeedMailbox
        var connection: Int64
    }

    private var networks: [String: [NodeID: Entry]] = [:]
    private var nextConnection: Int64 = 0

    /// Records `mailbox` as holding `nodeID`; returns its connection number and the entry it replaced.
    mutating func add(network: String, nodeID: NodeID, mailbox: SeedMailbox) -> (connection: Int64, replaced: Entry?) {
        nextConnection += 1
        let replaced = networks[network, default: [:]].updateValue(
            Entry(mailbox: mailbox, connection: nextConnection), forKey: nodeID)
        return (nextConnection, replaced)
    }

    /// Undoes ``add(network:nodeID:mailbox:)`` after the database refused it.
    mutating func undo(network: String, nodeID: NodeID, connection: Int64, restoring replaced: Entry?) {
        guard networks[network]?[nodeID]?.connection == connection else { return }
        networks[network]?[nodeID] = replaced
        if networks[network]?.isEmpty == true { networks[network] = nil }
    }

    /// Removes `nodeID` if `mailbox` still holds it; returns its connection number then.
    mutating func remove(network: String, nodeID: NodeID, mailbox: SeedMailbox) -> Int64? {
        guard let entry = networks[network]?[nodeID], entry.mailbox === mailbox else { return nil }
        networks[network]?[nodeID] = nil
        if networks[network]?.isEmpty == true { networks[network] = nil }
        return entry.connection
    }

    /// Removes `nodeID` if `connection` still holds it; returns its mailbox then.
    mutating func remove(network: String, nodeID: NodeID, connection: Int64) -> SeedMailbox? {
        guard let entry = networks[network]?[nodeID], entry.connection == connection else { return nil }
        networks[network]?[nodeID] = nil
        if networks[network]?.isEmpty == true { networks[network] = nil }
        return entry.mailbox
    }

    func mailbox(network: String, nodeID: NodeID) -> SeedMailbox? {
        networks[network]?[nodeID]?.mailbox
    }

    /// Every registration, as (network, node ID hex, connection) columns for one `unnest` insert.
    var columns: (networks: [String], nodeIDs: [String], connections: [Int64]) {
        var result: (networks: [String], nodeIDs: [String], connections: [Int64]) = ([], [], [])
        for (network, nodes) in networks {
            for (nodeID, entry) in nodes {
                result.networks.append(network)
                result.nodeIDs.append(nodeID.hex)
                result.connections.append(entry.connection)
            }
        }
        return result
    }
}
