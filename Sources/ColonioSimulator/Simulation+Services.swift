import ColonioCore

// Location pub/sub and the KVS on top of the simulated overlay, wired as the node shell wires them.
extension Simulation {
    // MARK: - Pub/sub

    /// A live node's pub/sub position.
    public func position(of id: NodeID) -> Position? {
        indexByID[id].flatMap { nodes[$0].alive ? nodes[$0].geo?.position : nil }
    }

    /// The geo neighbours a node currently has.
    public func geoNeighbours(of id: NodeID) -> Set<NodeID> {
        guard let index = indexByID[id], let geo = nodes[index].geo else { return [] }
        return Set(geo.neighbours.keys)
    }

    /// Introduces every live node to its geo neighbours among all live nodes (``SiteLinks``), as a seed
    /// that knows positions would (``GeoInstance/discovered(_:now:)``; nodes already known are skipped).
    public func introduceGeoNeighbours() {
        guard let space = configuration.space else { return }
        let ids = liveNodeIDs
        let graph = SiteLinks.graph(ids: ids, positions: ids.map { position(of: $0)! }, in: space)
        for (slot, id) in ids.enumerated() {
            let index = indexByID[id]!
            guard let directives = nodes[index].geo?.discovered(graph[slot].map { ids[$0] }, now: now) else {
                continue
            }
            performGeo(directives, at: index)
        }
    }

    /// Publishes from a live node to the subscribers of `topic` inside the circle; arrivals appear in
    /// ``spreadArrivals``.
    @discardableResult
    public func publish(
        from source: NodeID, topic: String, payload: [UInt8], center: Position, radius: Double
    ) throws(SpreadError) -> SpreadMessageID {
        guard let index = indexByID[source], nodes[index].alive, nodes[index].geo != nil else {
            throw .positionNotSet
        }
        let (id, directives) = try nodes[index].geo!.publish(
            topic: topic, payload: payload, center: center, radius: radius, now: now)
        performGeo(directives, at: index)
        return id
    }

    func performGeo(_ directives: [GeoDirective], at index: Int) {
        for directive in directives {
            guard nodes[index].alive else { return }
            switch directive {
            case .send(let bytes, let peer):
                // 0x12 is field 2 (forward), length-delimited: only forwards are decoded, for the count.
                if bytes.first == 0x12, case .forward(let forward)? = try? SpreadPacket(decoding: bytes) {
                    spreadForwards[forward.id, default: 0] += 1
                }
                // Straight to the node over an ordered channel with the transport's delay and loss: geo
                // neighbours hold direct links, and a handful of contact packets stand in for ring routing.
                // Routing them over the ring instead reorders a pair's announcements, which the geo
                // protocol does not tolerate at scale (announcement storms from ~100 nodes up).
                guard let other = indexByID[peer], nodes[other].alive else { continue }
                sendSpread(bytes, from: index, to: other)
            case .deliver(let delivery):
                spreadArrivals.append(SpreadArrival(receiver: nodes[index].id, delivery: delivery, time: now))
            case .wantNeighbours(let peers):
                perform(nodes[index].machine.setAuxiliaryLinks(peers, now: now), at: index)
            case .publishSucceeded, .publishFailed:
                break
            }
        }
    }

    // MARK: - KVS

    /// The replicas of `key` among the live nodes.
    public func replicas(of key: KVSKey, replicationFactor: Int = 3) -> [NodeID] {
        KVSPlacement.replicas(
            ofPosition: KVSPlacement.position(ofKey: key), sortedNodes: liveNodeIDs,
            replicationFactor: replicationFactor)
    }

    /// Starts a KVS operation on a live node against the replicas the live ring gives `key`; its end
    /// appears in ``kvsCompletions``.
    public func startKVS(_ command: KVSCommand, key: KVSKey, at node: NodeID) -> KVSOperationID? {
        guard let index = indexByID[node], nodes[index].alive else { return nil }
        ensureKVS(at: index)
        let replicaSet = KVSReplicaSet(replicas(of: key))
        let (id, directives) = nodes[index].kvs!.start(command, key: key, replicas: replicaSet, now: now, using: &random)
        performKVS(directives, at: index)
        return id
    }

    func ensureKVS(at index: Int) {
        if nodes[index].kvs == nil {
            nodes[index].kvs = KVSInstance(nodeID: nodes[index].id, timing: configuration.kvsTiming)
        }
    }

    func performKVS(_ directives: [KVSDirective], at index: Int) {
        for directive in directives {
            guard nodes[index].alive else { return }
            switch directive {
            case .send(let message, let peer):
                guard let sent = try? nodes[index].machine.sendOpaque(
                    message.encoded(), channel: .kvs, to: .node(peer), now: now)
                else { continue }
                perform(sent, at: index)
            case .complete(let operation, let result):
                kvsCompletions.append(KVSCompletion(node: nodes[index].id, operation: operation, result: result, time: now))
            }
        }
    }
}
