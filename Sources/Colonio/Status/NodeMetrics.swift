import ColonioCore
import CoreMetrics

/// The node's swift-metrics instruments, labelled `colonio_node_*` with a `network` dimension.
///
/// The library never bootstraps a metrics backend: values go to ``ColonioNodeOptions/metricsFactory``
/// or else to whatever the application bootstrapped `MetricsSystem` with (nowhere by default). Gauges
/// and the overlay's counters are brought up to date on every tick; events are counted as they happen.
/// Lives in a ``NodeSession`` and is only touched on the node's actor.
final class NodeMetrics {
    private let links: Gauge
    private let pendingLinks: Gauge
    private let geoNeighbours: Gauge
    private let framesSent: Counter
    private let framesReceived: Counter
    private let packetsForwarded: Counter
    private let droppedMalformed: Counter
    private let droppedHopLimit: Counter
    private let droppedUnroutable: Counter
    private let droppedDuplicate: Counter
    private let messagesDelivered: Counter
    private let requestsDelivered: Counter
    private let requestsSucceeded: Counter
    private let requestsFailed: Counter
    private let publications: Counter
    private let spreadDeliveries: Counter
    private let kvsSucceeded: Counter
    private let kvsFailed: Counter
    private let seedConnected: Gauge
    private let seedResumed: Counter
    private let seedSignedInAgain: Counter
    private let peerSearches: Counter
    /// The overlay counters at the last tick, to report the difference.
    private var reported: NodeMachine.Statistics?

    init(network: String, factory: any MetricsFactory) {
        let network = [("network", network)]
        func counter(_ label: String, _ extra: [(String, String)] = []) -> Counter {
            Counter(label: label, dimensions: network + extra, factory: factory)
        }
        links = Gauge(label: "colonio_node_links", dimensions: network, factory: factory)
        pendingLinks = Gauge(label: "colonio_node_pending_links", dimensions: network, factory: factory)
        geoNeighbours = Gauge(label: "colonio_node_geo_neighbours", dimensions: network, factory: factory)
        framesSent = counter("colonio_node_frames_sent_total")
        framesReceived = counter("colonio_node_frames_received_total")
        packetsForwarded = counter("colonio_node_packets_forwarded_total")
        droppedMalformed = counter("colonio_node_packets_dropped_total", [("reason", "malformed")])
        droppedHopLimit = counter("colonio_node_packets_dropped_total", [("reason", "hop_limit")])
        droppedUnroutable = counter("colonio_node_packets_dropped_total", [("reason", "unroutable")])
        droppedDuplicate = counter("colonio_node_packets_dropped_total", [("reason", "duplicate")])
        messagesDelivered = counter("colonio_node_messages_delivered_total", [("kind", "message")])
        requestsDelivered = counter("colonio_node_messages_delivered_total", [("kind", "request")])
        requestsSucceeded = counter("colonio_node_requests_total", [("outcome", "response")])
        requestsFailed = counter("colonio_node_requests_total", [("outcome", "failure")])
        publications = counter("colonio_node_spread_published_total")
        spreadDeliveries = counter("colonio_node_spread_delivered_total")
        kvsSucceeded = counter("colonio_node_kvs_operations_total", [("outcome", "success")])
        kvsFailed = counter("colonio_node_kvs_operations_total", [("outcome", "failure")])
        seedConnected = Gauge(label: "colonio_node_seed_connected", dimensions: network, factory: factory)
        seedResumed = counter("colonio_node_seed_reconnects_total", [("outcome", "resumed")])
        seedSignedInAgain = counter("colonio_node_seed_reconnects_total", [("outcome", "new_id")])
        peerSearches = counter("colonio_node_peer_searches_total")
    }

    /// Brings the gauges and the overlay counters up to date.
    func update(
        links authenticated: Int, pending: Int, geoNeighbours neighbourCount: Int, seedConnected connected: Bool,
        overlay: NodeMachine.Statistics
    ) {
        links.record(authenticated)
        seedConnected.record(connected ? 1 : 0)
        pendingLinks.record(pending)
        geoNeighbours.record(neighbourCount)
        func add(_ counter: Counter, _ value: KeyPath<NodeMachine.Statistics, UInt64>) {
            let before = reported?[keyPath: value] ?? 0
            if overlay[keyPath: value] > before { counter.increment(by: Int64(clamping: overlay[keyPath: value] - before)) }
        }
        add(framesSent, \.framesSent)
        add(framesReceived, \.framesReceived)
        add(packetsForwarded, \.packetsForwarded)
        add(droppedMalformed, \.malformedFrames)
        add(droppedHopLimit, \.hopLimitDrops)
        add(droppedUnroutable, \.unroutableDrops)
        add(droppedDuplicate, \.duplicateDrops)
        reported = overlay
    }

    func messageDelivered(isRequest: Bool) { (isRequest ? requestsDelivered : messagesDelivered).increment() }
    func requestCompleted(succeeded: Bool) { (succeeded ? requestsSucceeded : requestsFailed).increment() }
    func published() { publications.increment() }
    func spreadDelivered() { spreadDeliveries.increment() }
    func kvsCompleted(succeeded: Bool) { (succeeded ? kvsSucceeded : kvsFailed).increment() }
    /// The seed connection came back: under the same ID (`resumed`) or, refused that, a new one.
    func seedReturned(resumed: Bool) { (resumed ? seedResumed : seedSignedInAgain).increment() }
    func peerSearched() { peerSearches.increment() }
}
