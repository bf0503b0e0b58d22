import ColonioCore
import ColonioSeed
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// A ``NetworkRegistry`` in a PostgreSQL database shared by the seeds of one deployment, so that
/// several seeds (behind one load balancer, or listed in the nodes' options) serve one network.
///
/// - Registrations are rows `(network, node ID, seed, connection)`; bootstrap and peer searches read
///   the IDs nearest on the ring with four index range scans. The seed also keeps the mailboxes of the
///   nodes it holds, so a signal between two of its own nodes never touches the database.
/// - `maxNodes` holds across seeds: a sign-in increments its network's row in
///   `colonio_network_sizes` only while below the limit, in the same statement that inserts the node.
/// - Signals to a node held by another seed go out as `NOTIFY` on that seed's channel (larger ones
///   through the `colonio_signals` table): a connection's signals are relayed one at a time, in order,
///   and each seed handles its notifications one at a time, in order.
/// - A resume is accepted by any seed (they share the signing key); the row then names the new seed,
///   which tells the old one to close the displaced connection.
/// - Each seed writes a heartbeat; seeds remove the nodes of a seed whose heartbeat lapsed
///   (``PostgresRegistrySettings/seedTimeoutSeconds``). After its database connection returns, a seed
///   registers the nodes it holds again (a crash empties the unlogged tables).
///
/// Run it as a `Service` next to the `SeedServer`, before it in the `ServiceGroup` (so it stops after
/// the server): it migrates the schema, listens for notifications and writes the heartbeat. While
/// the database cannot be reached, sign-ins fail with ``NetworkRegistryError/unavailable(reason:)``
/// and the seed retries by itself.
public final class PostgresNetworkRegistry: NetworkRegistry, Service {
    /// This seed's ID in the registry: random for every run.
    public let seedID: String
    private let channel: String
    private let client: PostgresClient
    private let settings: PostgresRegistrySettings
    private let local = Mutex(LocalRegistrations())
    /// Set once the schema is current and this seed listens on its channel; cleared while the
    /// listening connection is down (signals to this seed's nodes would be lost meanwhile).
    private let isReady = Atomic<Bool>(false)
    private let logger: Logger
    /// How long one database operation (waiting for a pooled connection included) may take before
    /// the node gets an error.
    private let operationTimeout: Duration

    /// Prepares a registry; nothing connects before ``run()``.
    ///
    /// `operationTimeout` (8 s, below a node's 10 s sign-in timeout) bounds each database call,
    /// including the wait for a pooled connection during a burst; a 3 s bound failed signals of a
    /// 10,000-signal burst on a loaded 2-core machine.
    /// - Throws: ``PostgresRegistryError`` when the URL is unusable or the password file unreadable.
    public init(
        settings: PostgresRegistrySettings, operationTimeout: Duration = .seconds(8), logger: Logger
    ) throws(PostgresRegistryError) {
        let password = try PostgresRegistryConnection.password(settings: settings)
        let configuration = try PostgresRegistryConnection.clientConfiguration(settings: settings, password: password)
        var generator = SystemRandomNumberGenerator()
        seedID = String(UInt64.random(in: 0...UInt64.max, using: &generator), radix: 16)
        channel = Self.channel(of: seedID)
        self.settings = settings
        self.operationTimeout = operationTimeout
        var logger = logger
        logger[metadataKey: "seed"] = "\(seedID)"
        self.logger = logger
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    static func channel(of seedID: String) -> String { "colonio_seed_\(seedID)" }

    /// Whether the registry can take sign-ins now (schema current, notifications arriving).
    public var isAvailable: Bool { isReady.load(ordering: .acquiring) }

    // MARK: - Service

    /// Connects, migrates, listens and beats until graceful shutdown or cancellation, then removes
    /// this seed's registrations.
    public func run() async throws {
        // Detached: the client must outlive the graceful shutdown that ends the loops below, so
        // that this seed can still remove its rows.
        let client = self.client
        let clientTask = Task.detached { await client.run() }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listenLoop() }
                group.addTask { await self.heartbeatLoop() }
            }
        }
        isReady.store(false, ordering: .releasing)
        await leave()
        clientTask.cancel()
        await clientTask.value
    }

    /// Migrates and listens on this seed's channel, again after every lost connection (the database
    /// may have been replaced by an empty one meanwhile).
    private func listenLoop() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                let found = try await PostgresSchema.migrate(client: client, logger: logger)
                if found < PostgresSchema.currentVersion {
                    logger.notice(
                        "registry schema migrated", metadata: ["from": "\(found)", "to": "\(PostgresSchema.currentVersion)"])
                }
                try await client.withConnection { connection in
                    try await connection.listen(on: self.channel) { notifications in
                        try await self.beat()
                        try await self.registerHeldNodesAgain()
                        self.isReady.store(true, ordering: .releasing)
                        delay = .milliseconds(200)
                        self.logger.info("registry connected")
                        for try await notification in notifications {
                            await self.received(notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                logger.warning(
                    "registry database unavailable; retrying",
                    metadata: ["error": "\(Self.describe(error))", "retryIn": "\(delay)"])
            }
            isReady.store(false, ordering: .releasing)
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }

    /// Writes this seed's heartbeat and removes seeds whose heartbeat lapsed, until cancelled.
    private func heartbeatLoop() async {
        let period = Duration.milliseconds(max(500, settings.seedTimeoutSeconds * 1000 / 4))
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            guard isAvailable else { continue }
            do {
                if try await beat() {
                    // Another seed took this one for dead and removed its nodes.
                    try await registerHeldNodesAgain()
                }
                try await removeDeadSeeds()
            } catch {
                logger.debug("registry heartbeat failed", metadata: ["error": "\(Self.describe(error))"])
            }
        }
    }

    /// Writes the heartbeat; returns whether this seed's row had to be created anew.
    @discardableResult
    private func beat() async throws -> Bool {
        let rows = try await client.query(
            """
            INSERT INTO colonio_seeds (seed_id) VALUES (\(seedID))
            ON CONFLICT (seed_id) DO UPDATE SET heartbeat = now()
            RETURNING (xmax = 0)
            """, logger: logger)
        var created = false
        for try await inserted in rows.decode(Bool.self) { created = inserted }
        return created
    }

    private func removeDeadSeeds() async throws {
        try await client.query(
            """
            WITH dead AS (
                DELETE FROM colonio_seeds
                WHERE heartbeat < now() - make_interval(secs => \(Double(settings.seedTimeoutSeconds)))
                RETURNING seed_id),
            gone AS (DELETE FROM colonio_nodes WHERE seed_id IN (SELECT seed_id FROM dead) RETURNING network)
            UPDATE colonio_network_sizes s SET nodes = greatest(0, s.nodes - g.count)
            FROM (SELECT network, count(*)::integer AS count FROM gone GROUP BY network) g
            WHERE s.network = g.network
            """, logger: logger)
        try await client.query(
            "DELETE FROM colonio_signals WHERE queued < now() - interval '1 minute'", logger: logger)
    }

    /// Registers the nodes this seed holds again where no row names them (after a database crash or
    /// after being taken for dead); nodes that resumed elsewhere meanwhile keep their new row.
    private func registerHeldNodesAgain() async throws {
        let columns = local.withLock { $0.columns }
        guard !columns.networks.isEmpty else { return }
        try await client.query(
            """
            WITH added AS (
                INSERT INTO colonio_nodes (network, node_id, seed_id, connection)
                SELECT network, decode(node_hex, 'hex'), \(seedID), connection
                FROM unnest(\(columns.networks)::text[], \(columns.nodeIDs)::text[], \(columns.connections)::bigint[])
                    AS held(network, node_hex, connection)
                ON CONFLICT (network, node_id) DO NOTHING
                RETURNING network)
            INSERT INTO colonio_network_sizes (network, nodes)
            SELECT network, count(*)::integer FROM added GROUP BY network
            ON CONFLICT (network) DO UPDATE SET nodes = colonio_network_sizes.nodes + EXCLUDED.nodes
            """, logger: logger)
        logger.info("registered held nodes again", metadata: ["nodes": "\(columns.networks.count)"])
    }

    /// Removes this seed's registrations (its connections are closed by now).
    private func leave() async {
        do {
            try await withDeadline("leaving") {
                try await self.client.query(
                    """
                    WITH gone AS (DELETE FROM colonio_nodes WHERE seed_id = \(self.seedID) RETURNING network),
                    seed AS (DELETE FROM colonio_seeds WHERE seed_id = \(self.seedID))
                    UPDATE colonio_network_sizes s SET nodes = greatest(0, s.nodes - g.count)
                    FROM (SELECT network, count(*)::integer AS count FROM gone GROUP BY network) g
                    WHERE s.network = g.network
                    """, logger: self.logger)
            }
        } catch {
            logger.warning(
                "could not remove this seed's registrations; other seeds will once its heartbeat lapses",
                metadata: ["error": "\(error)"])
        }
    }

    /// Handles one notification to this seed, completely, before the next.
    private func received(_ payload: String) async {
        guard let notification = SeedNotification(payload: payload) else {
            logger.warning("ignored an undecodable registry notification")
            return
        }
        switch notification {
        case .signal(let network, let to, let frame):
            deliverLocally(network: network, to: to, frame: frame)
        case .queuedSignal(let id):
            do {
                let rows = try await client.query(
                    "DELETE FROM colonio_signals WHERE id = \(id) RETURNING frame", logger: logger)
                for try await frame in rows.decode(ByteBuffer.self) {
                    guard let queued = SeedNotification(payload: String(buffer: frame)),
                        case .signal(let network, let to, let bytes) = queued
                    else { continue }
                    deliverLocally(network: network, to: to, frame: bytes)
                }
            } catch {
                logger.warning("could not take a queued signal", metadata: ["error": "\(Self.describe(error))"])
            }
        case .close(let network, let nodeID, let connection):
            let mailbox = local.withLock { $0.remove(network: network, nodeID: nodeID, connection: connection) }
            mailbox?.close(reason: "this node resumed on another seed")
        }
    }

    private func deliverLocally(network: String, to: NodeID, frame: [UInt8]) {
        guard let mailbox = local.withLock({ $0.mailbox(network: network, nodeID: to) }) else {
            logger.debug("a relayed signal's node has left this seed", metadata: ["node": "\(to.hex)"])
            return
        }
        mailbox.deliver(frame)
    }

    // MARK: - NetworkRegistry

    public func register(
        network: String, nodeID: NodeID?, maximumNodes: Int, predecessors: Int, successors: Int, mailbox: SeedMailbox
    ) async throws(NetworkRegistryError) -> NodeRegistration {
        guard isAvailable else {
            throw .unavailable(reason: "the seed is not connected to its registry database")
        }
        var generator = SystemRandomNumberGenerator()
        var id = nodeID ?? NodeID.random(using: &generator)
        // Recorded before the row exists, so that a signal arriving right after the insert finds it.
        var (connection, replaced) = local.withLock { $0.add(network: network, nodeID: id, mailbox: mailbox) }
        do {
            var attempts = 0
            while true {
                attempts += 1
                if nodeID != nil, let neighbours = try await resume(
                    network: network, nodeID: id, connection: connection, predecessors: predecessors,
                    successors: successors)
                {
                    return NodeRegistration(
                        nodeID: id,
                        bootstrapPeers: neighbours.nearest(to: id, predecessors: predecessors, successors: successors))
                }
                switch try await insert(
                    network: network, nodeID: id, connection: connection, maximumNodes: maximumNodes,
                    predecessors: predecessors, successors: successors)
                {
                case .inserted(let neighbours):
                    return NodeRegistration(
                        nodeID: id,
                        bootstrapPeers: neighbours.nearest(to: id, predecessors: predecessors, successors: successors))
                case .full:
                    local.withLock { $0.undo(network: network, nodeID: id, connection: connection, restoring: replaced) }
                    throw NetworkRegistryError.networkFull(limit: maximumNodes)
                case .taken where attempts < 4:
                    // A fresh ID that exists already (vanishingly rare), or a resumed one registered
                    // concurrently: draw again, or take the row over.
                    if nodeID == nil {
                        local.withLock { $0.undo(network: network, nodeID: id, connection: connection, restoring: nil) }
                        id = NodeID.random(using: &generator)
                        (connection, replaced) = local.withLock { $0.add(network: network, nodeID: id, mailbox: mailbox) }
                    }
                case .taken:
                    throw PostgresRegistryError.database(operation: "registering a node", reason: "its ID stays taken")
                }
            }
        } catch let error as NetworkRegistryError {
            throw error
        } catch {
            local.withLock { $0.undo(network: network, nodeID: id, connection: connection, restoring: replaced) }
            logger.warning("registration failed", metadata: ["error": "\(Self.describe(error))"])
            throw .unavailable(reason: Self.describe(error))
        }
    }

    private enum Insertion {
        case inserted(RingNeighbours)
        case full
        case taken
    }

    /// Inserts a node within its network's limit and reads its neighbours, in one statement (the
    /// neighbour scans see the table as it was before this insert, so without the node itself).
    private func insert(
        network: String, nodeID: NodeID, connection: Int64, maximumNodes: Int, predecessors: Int, successors: Int
    ) async throws -> Insertion {
        let statement = InsertNodeStatement(
            network: network, nodeID: NodeIDBytes.encode(nodeID), maximumNodes: maximumNodes, seedID: seedID,
            connection: connection, successors: successors, predecessors: predecessors)
        do {
            let (inserted, neighbours) = try await withDeadline("registering a node") {
                try await self.slices(of: self.client.execute(statement, logger: self.logger))
            }
            return inserted ? .inserted(neighbours) : .full
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            return .taken
        }
    }

    /// Moves an existing registration of `nodeID` to this seed; returns its neighbours, or `nil` when
    /// no row holds the ID. The seed that held it is told to close that connection.
    private func resume(
        network: String, nodeID: NodeID, connection: Int64, predecessors: Int, successors: Int
    ) async throws -> RingNeighbours? {
        let id = NodeIDBytes.encode(nodeID)
        let moved = try await withDeadline("resuming a node") {
            let rows = try await self.client.query(
                """
                UPDATE colonio_nodes n SET seed_id = \(self.seedID), connection = \(connection)
                FROM colonio_nodes old
                WHERE n.network = \(network) AND n.node_id = \(id)
                    AND old.network = n.network AND old.node_id = n.node_id
                RETURNING old.seed_id, old.connection
                """, logger: self.logger)
            var previous: Displaced?
            for try await (seed, connection) in rows.decode((String, Int64).self) {
                previous = Displaced(seed: seed, connection: connection)
            }
            return previous
        }
        guard let moved else { return nil }
        if moved.seed != seedID {
            // Only text crosses into the task (see the toolchain note on node IDs in docs/architecture.md).
            let close = SeedNotification.close(network: network, nodeID: nodeID, connection: moved.connection).payload
            let channel = Self.channel(of: moved.seed)
            _ = try? await withDeadline("closing a displaced connection") {
                try await self.client.query("SELECT pg_notify(\(channel), \(close))", logger: self.logger)
            }
        }
        return try await neighbours(
            network: network, nodeID: nodeID, predecessors: predecessors, successors: successors)
    }

    private struct Displaced: Sendable {
        var seed: String
        var connection: Int64
    }

    /// Reads `(kind, node_id)` rows: kind 0 is the inserted node, 1-4 the slices of `NeighboursStatement.scans`.
    private func slices<Rows: AsyncSequence>(
        of rows: Rows
    ) async throws -> (inserted: Bool, neighbours: RingNeighbours) where Rows.Element == (Int, ByteBuffer) {
        var neighbours = RingNeighbours()
        var inserted = false
        for try await (kind, bytes) in rows {
            guard let id = NodeIDBytes.decode(bytes) else { continue }
            switch kind {
            case 0: inserted = true
            case 1: neighbours.after.append(id)
            case 2: neighbours.first.append(id)
            case 3: neighbours.before.append(id)
            default: neighbours.last.append(id)
            }
        }
        return (inserted, neighbours)
    }

    private func neighbours(
        network: String, nodeID: NodeID, predecessors: Int, successors: Int
    ) async throws -> RingNeighbours {
        let statement = NeighboursStatement(
            network: network, nodeID: NodeIDBytes.encode(nodeID), successors: successors, predecessors: predecessors)
        return try await withDeadline("finding peers") {
            try await self.slices(of: self.client.execute(statement, logger: self.logger)).neighbours
        }
    }

    public func unregister(network: String, nodeID: NodeID, mailbox: SeedMailbox) async {
        guard let connection = local.withLock({ $0.remove(network: network, nodeID: nodeID, mailbox: mailbox) }) else {
            return
        }
        let statement = RemoveNodeStatement(
            network: network, nodeID: NodeIDBytes.encode(nodeID), seedID: seedID, connection: connection)
        do {
            try await withDeadline("unregistering a node") {
                for try await _ in try await self.client.execute(statement, logger: self.logger) {}
            }
        } catch {
            // The row stays until this seed leaves or is taken for dead; a resume takes it over.
            logger.warning("could not unregister a node", metadata: ["error": "\(Self.describe(error))"])
        }
    }

    public func nearest(network: String, to nodeID: NodeID, predecessors: Int, successors: Int) async -> [NodeID] {
        do {
            let neighbours = try await neighbours(
                network: network, nodeID: nodeID, predecessors: predecessors, successors: successors)
            return neighbours.nearest(to: nodeID, predecessors: predecessors, successors: successors)
        } catch {
            logger.warning("peer search failed", metadata: ["error": "\(Self.describe(error))"])
            return []
        }
    }

    public func mailbox(network: String, nodeID: NodeID) async -> SeedMailbox? {
        local.withLock { $0.mailbox(network: network, nodeID: nodeID) }
    }

    public func nodeCount(network: String) async -> Int {
        do {
            return try await withDeadline("counting nodes") {
                var count = 0
                for try await nodes in try await self.client.query(
                    "SELECT nodes FROM colonio_network_sizes WHERE network = \(network)", logger: self.logger
                ).decode(Int.self) {
                    count = nodes
                }
                return count
            }
        } catch {
            return 0
        }
    }

    public func relay(network: String, to: NodeID, frame: [UInt8]) async -> SignalDelivery {
        if let mailbox = local.withLock({ $0.mailbox(network: network, nodeID: to) }) {
            return mailbox.deliver(frame) ? .delivered : .notReading
        }
        let id = NodeIDBytes.encode(to)
        let payload = SeedNotification.signal(network: network, to: to, frame: frame).payload
        do {
            let delivered = try await withDeadline("relaying a signal") {
                if payload.utf8.count <= SeedNotification.maximumPayloadBytes {
                    var count = 0
                    let statement = NotifyHolderStatement(network: network, nodeID: id, payload: payload)
                    for try await _ in try await self.client.execute(statement, logger: self.logger) { count += 1 }
                    return count > 0
                }
                // Too large for a notification: queued, and only its row ID notified.
                let query: PostgresQuery = """
                    WITH target AS (SELECT seed_id FROM colonio_nodes WHERE network = \(network) AND node_id = \(id)),
                    queued AS (
                        INSERT INTO colonio_signals (frame) SELECT \(ByteBuffer(string: payload)) FROM target
                        RETURNING id)
                    SELECT pg_notify('colonio_seed_' || target.seed_id, 'q' || queued.id) FROM target, queued
                    """
                var count = 0
                for try await _ in try await self.client.query(query, logger: self.logger) { count += 1 }
                return count > 0
            }
            return delivered ? .delivered : .unknownPeer
        } catch {
            return .registryUnavailable(reason: Self.describe(error))
        }
    }

    // MARK: - Support

    /// Runs `operation`, failing with ``PostgresRegistryError/timedOut(operation:seconds:)`` after
    /// the operation timeout, so a node gets an answer while the database does not.
    @discardableResult
    private func withDeadline<Value: Sendable>(
        _ name: String, _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let timeout = operationTimeout
        return try await withThrowingTaskGroup(of: Value.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
                throw PostgresRegistryError.timedOut(operation: name, seconds: seconds)
            }
            defer { group.cancelAll() }
            guard let value = try await group.next() else { throw CancellationError() }
            return value
        }
    }

    /// A short, user-facing description of a database error (PSQLError's own hides the server's message).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return "PostgreSQL: \(message)" }
            return "PostgreSQL connection: \(error.code)"
        }
        return "\(error)"
    }
}
