import ColonioCore
import Prometheus
import Synchronization

/// The seed's Prometheus metrics, rendered in the text format at `/metrics`.
///
/// Uses its own `PrometheusCollectorRegistry` instead of bootstrapping the global metrics system:
/// a library must not take over the process's global state.
public final class SeedMetrics: Sendable {
    /// The registry the metrics live in; render it with `emitToString()`.
    public let registry: PrometheusCollectorRegistry
    private let nodes: [String: Gauge]
    private let signIns: [String: Counter]
    private let relayedSignals: [String: Counter]
    private let connections: Gauge
    private let rejected: Mutex<[String: Counter]>
    private let httpResponses: Counter
    private let httpRequestsWaited: Counter
    /// Counters with a `reason` label, made on first use, by metric name and reason.
    private let byReason = Mutex<[String: Counter]>([:])

    /// Creates the metrics of a seed serving `networks`.
    public init(networks: [String], registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "colonio", subsystem: "seed", metricName: name, unitName: unit, helpText: help)
        }
        var nodes: [String: Gauge] = [:]
        var signIns: [String: Counter] = [:]
        var relayed: [String: Counter] = [:]
        for network in networks {
            let labels = [("network", network)]
            nodes[network] = registry.makeGauge(
                descriptor: descriptor("nodes", "", "Nodes registered per network"), labels: labels)
            signIns[network] = registry.makeCounter(
                descriptor: descriptor("sign_ins", "total", "Successful sign-ins per network"), labels: labels)
            relayed[network] = registry.makeCounter(
                descriptor: descriptor("relayed_signals", "total", "Signals relayed between nodes"), labels: labels)
        }
        self.nodes = nodes
        self.signIns = signIns
        self.relayedSignals = relayed
        self.connections = registry.makeGauge(
            descriptor: descriptor("connections", "", "Open WebSocket connections"), labels: [])
        self.rejected = Mutex([:])
        self.httpResponses = registry.makeCounter(
            descriptor: descriptor("http_responses", "total", "Plain HTTP responses written"), labels: [])
        self.httpRequestsWaited = registry.makeCounter(
            descriptor: descriptor(
                "http_requests_waited", "total",
                "Pipelined HTTP requests held until the previous response was written to the socket"),
            labels: [])
    }

    /// The text exposition of every metric.
    public func render() -> String {
        registry.emitToString()
    }

    func nodeRegistered(network: String) {
        nodes[network]?.increment()
        signIns[network]?.increment()
    }

    func nodeUnregistered(network: String) {
        nodes[network]?.decrement()
    }

    func signalRelayed(network: String) {
        relayedSignals[network]?.increment()
    }

    func connectionOpened() {
        connections.increment()
    }

    func connectionClosed() {
        connections.decrement()
    }

    func httpResponded() {
        httpResponses.increment()
    }

    func httpRequestWaited() {
        httpRequestsWaited.increment()
    }

    /// A connection refused at accept: `seed_full` or `address_full`.
    func refusedConnection(reason: String) {
        counter("refused_connections", help: "Connections closed at accept by a connection cap", reason: reason)
            .increment()
    }

    /// A connection the seed closed: `sign_in_deadline`, `request_deadline`, `keepalive_lapsed`,
    /// `fragments_too_large`.
    func closedConnection(reason: String, count: Int = 1) {
        counter("closed_connections", help: "Connections the seed closed, by reason", reason: reason)
            .increment(by: Int64(count))
    }

    /// A plain HTTP request refused before it was served, e.g. `invalid_network_name`.
    func refusedHTTPRequest(reason: String) {
        counter("refused_http_requests", help: "Plain HTTP requests refused, by reason", reason: reason).increment()
    }

    private func counter(_ name: String, help: String, reason: String) -> Counter {
        byReason.withLock { counters in
            let key = name + "/" + reason
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "colonio", subsystem: "seed", metricName: name, unitName: "total", helpText: help),
                labels: [("reason", reason)])
            counters[key] = counter
            return counter
        }
    }

    func rejected(_ code: SeedErrorCode) {
        let name = code.name
        let counter = rejected.withLock { counters in
            if let counter = counters[name] { return counter }
            let counter = registry.makeCounter(
                descriptor: MetricNameDescriptor(
                    namespace: "colonio", subsystem: "seed", metricName: "rejected_requests", unitName: "total",
                    helpText: "Requests refused with an error frame, by reason"),
                labels: [("reason", name)])
            counters[name] = counter
            return counter
        }
        counter.increment()
    }
}
