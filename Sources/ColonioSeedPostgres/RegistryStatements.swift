import NIOCore
import PostgresNIO

// The statements of the registry's hot paths, prepared once per database connection: a sign-in's
// statement is parsed and planned once instead of on every sign-in, which was most of the database's
// CPU per sign-in.

/// Inserts a node within its network's limit, then reads its ring neighbours (kind 0: the inserted
/// node; 1-4: the slices of ``RingNeighbours``). The scans see the table as it was before the insert.
struct InsertNodeStatement: PostgresPreparedStatement {
    static let sql = """
        WITH slot AS (
            INSERT INTO colonio_network_sizes AS s (network, nodes) VALUES ($1, 1)
            ON CONFLICT (network) DO UPDATE SET nodes = s.nodes + 1 WHERE s.nodes < $3
            RETURNING 1),
        added AS (
            INSERT INTO colonio_nodes (network, node_id, seed_id, connection)
            SELECT $1, $2, $4, $5 FROM slot
            RETURNING node_id)
        SELECT 0, node_id FROM added
        UNION ALL \(NeighboursStatement.scans(network: "$1", id: "$2", successors: "$6", predecessors: "$7"))
        """
    typealias Row = (Int, ByteBuffer)

    var network: String
    var nodeID: ByteBuffer
    var maximumNodes: Int
    var seedID: String
    var connection: Int64
    var successors: Int
    var predecessors: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 7)
        bindings.append(network)
        bindings.append(nodeID)
        bindings.append(maximumNodes)
        bindings.append(seedID)
        bindings.append(connection)
        bindings.append(successors)
        bindings.append(predecessors)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

/// The ring neighbours of `nodeID` (kinds 1-4 of ``RingNeighbours``).
struct NeighboursStatement: PostgresPreparedStatement {
    static let sql = scans(network: "$1", id: "$2", successors: "$3", predecessors: "$4")
    typealias Row = (Int, ByteBuffer)

    var network: String
    var nodeID: ByteBuffer
    var successors: Int
    var predecessors: Int

    /// Four index range scans: after the ID ascending, the ring's first, before it descending, the
    /// ring's last; the wrap-around slices one longer, since they may hold the node itself.
    static func scans(network: String, id: String, successors: String, predecessors: String) -> String {
        """
        (SELECT 1, node_id FROM colonio_nodes WHERE network = \(network) AND node_id > \(id)
            ORDER BY node_id LIMIT \(successors))
        UNION ALL (SELECT 2, node_id FROM colonio_nodes WHERE network = \(network)
            ORDER BY node_id LIMIT \(successors) + 1)
        UNION ALL (SELECT 3, node_id FROM colonio_nodes WHERE network = \(network) AND node_id < \(id)
            ORDER BY node_id DESC LIMIT \(predecessors))
        UNION ALL (SELECT 4, node_id FROM colonio_nodes WHERE network = \(network)
            ORDER BY node_id DESC LIMIT \(predecessors) + 1)
        """
    }

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(network)
        bindings.append(nodeID)
        bindings.append(successors)
        bindings.append(predecessors)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try row.decode(Row.self)
    }
}

/// Sends a notification to the seed holding a node; one row when the node is registered, none otherwise.
struct NotifyHolderStatement: PostgresPreparedStatement {
    static let sql = """
        SELECT pg_notify('colonio_seed_' || seed_id, $3)
        FROM colonio_nodes WHERE network = $1 AND node_id = $2
        """
    typealias Row = Void

    var network: String
    var nodeID: ByteBuffer
    var payload: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(network)
        bindings.append(nodeID)
        bindings.append(payload)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}

/// Removes a node's row if this seed's `connection` still holds it, and counts it out of its network.
struct RemoveNodeStatement: PostgresPreparedStatement {
    static let sql = """
        WITH gone AS (
            DELETE FROM colonio_nodes
            WHERE network = $1 AND node_id = $2 AND seed_id = $3 AND connection = $4
            RETURNING network)
        UPDATE colonio_network_sizes s SET nodes = greatest(0, s.nodes - 1)
        FROM gone WHERE s.network = gone.network
        """
    typealias Row = Void

    var network: String
    var nodeID: ByteBuffer
    var seedID: String
    var connection: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(network)
        bindings.append(nodeID)
        bindings.append(seedID)
        bindings.append(connection)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {}
}
