import Colonio
import ColonioCore
import Foundation

/// Runs console commands against one node, one after another, and prints their responses; deliveries of
/// subscriptions and messages to handlers are printed as events while it runs.
final class NodeConsole {
    let node: ColonioNode
    let output: ConsoleOutput
    /// One reader task per subscribed topic.
    private var subscriptions: [String: Task<Void, Never>] = [:]

    init(node: ColonioNode, output: ConsoleOutput) {
        self.node = node
        self.output = output
    }

    /// Answers requests to `name` with their payload and prints every message it gets.
    func registerEchoHandler(_ name: String) async {
        let output = output
        await node.handle(name) { message in
            NodeConsole.print(message, to: output)
            return message.payload
        }
    }

    static func print(_ message: ColonioMessage, to output: ConsoleOutput) {
        output.event(
            "message",
            ["name": message.name, "from": message.source.hex, "text": text(message.payload),
             "request": message.isRequest, "hops": message.hopCount],
            text: "\(message.isRequest ? "request" : "message") to '\(message.name)' from \(message.source.hex): \(text(message.payload))")
    }

    static func print(_ delivery: SpreadDelivery, to output: ConsoleOutput) {
        output.event(
            "delivery",
            ["topic": delivery.topic, "from": delivery.sender.hex, "text": text(delivery.payload),
             "hops": Int(delivery.hops), "center": json(delivery.center), "radius": delivery.radius],
            text: "[\(delivery.topic)] from \(delivery.sender.hex): \(text(delivery.payload))")
    }

    /// Parses and runs `line`. Returns `false` for `quit`; `succeeded` is cleared when the line failed.
    func run(line: String, succeeded: inout Bool) async -> Bool {
        let command: ConsoleCommand
        do throws(ConsoleError) {
            guard let parsed = try ConsoleCommand(parsing: line) else { return true }
            command = parsed
        } catch {
            output.fail(Self.split(line), error.description)
            succeeded = false
            return true
        }
        if command == .quit {
            output.respond("quit", text: "bye")
            return false
        }
        do throws(ConsoleError) {
            try await execute(command)
        } catch {
            output.fail(command.verb, error.description)
            succeeded = false
        }
        return true
    }

    /// Ends every subscription reader.
    func stop() {
        for task in subscriptions.values { task.cancel() }
        subscriptions.removeAll()
    }

    private func execute(_ command: ConsoleCommand) async throws(ConsoleError) {
        switch command {
        case .send(let target, let name, let text):
            try await Self.attempt {
                switch target {
                case .node(let id): try await node.send(Array(text.utf8), to: id, name: name)
                case .ownerOf(let key): try await node.send(Array(text.utf8), toOwnerOf: key, name: name)
                }
            }
            output.respond("send", text: "sent")
        case .request(let target, let name, let text):
            try await request(text, to: target, name: name)
        case .publish(let topic, let center, let radius, let text):
            try await Self.attempt { try await node.publish(Array(text.utf8), topic: topic, center: center, radius: radius) }
            output.respond("publish", text: "published")
        case .subscribe(let topic):
            try await subscribe(topic)
        case .unsubscribe(let topic):
            guard let task = subscriptions.removeValue(forKey: topic) else { throw .failed("not subscribed to '\(topic)'") }
            task.cancel()
            output.respond("unsubscribe", ["topic": topic], text: "unsubscribed from '\(topic)'")
        case .position(let position):
            try await Self.attempt { try await node.setPosition(position) }
            output.respond("position", ["position": Self.json(position)], text: "position \(position.x),\(position.y)")
        case .put(let key, let text, let condition):
            let stored = try await Self.attempt { try await node.kvs.put(key, Array(text.utf8), condition: condition) }
            output.respond("put", ["key": key, "version": Int(clamping: stored.version)], text: "stored version \(stored.version)")
        case .get(let key):
            try await get(key)
        case .delete(let key, let condition):
            try await Self.attempt { try await node.kvs.delete(key, condition: condition) }
            output.respond("delete", ["key": key], text: "deleted")
        case .handle(let name):
            await registerEchoHandler(name)
            output.respond("handle", ["name": name], text: "handling '\(name)'")
        case .links:
            let links = await node.links()
            output.respond("links", ["links": links.map(Self.json)], text: Self.table(links))
        case .status:
            let status = await node.status()
            output.respond("status", Self.json(status), text: Self.text(status))
        case .wait(let count, let seconds):
            try await waitForLinks(count, seconds: seconds)
        case .sleep(let seconds):
            try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
            output.respond("sleep", text: "slept \(Self.format(seconds)) s")
        case .help:
            output.respond(
                "help", ["commands": ConsoleCommand.usage.map { ["syntax": $0.syntax, "summary": $0.summary] }],
                text: Self.helpList)
        case .quit:
            break
        }
    }

    /// Runs a node call, its error becoming the console's.
    private static func attempt<Value>(_ body: () async throws -> Value) async throws(ConsoleError) -> Value {
        do {
            return try await body()
        } catch let error as ColonioError {
            throw .failed(error.description)
        } catch {
            throw .failed("\(error)")
        }
    }

    private func request(_ text: String, to target: ConsoleCommand.Target, name: String) async throws(ConsoleError) {
        let started = ContinuousClock.now
        let reply = try await Self.attempt { () async throws -> [UInt8] in
            switch target {
            case .node(let id): try await node.request(Array(text.utf8), to: id, name: name)
            case .ownerOf(let key): try await node.request(Array(text.utf8), toOwnerOf: key, name: name)
            }
        }
        let milliseconds = Self.milliseconds(ContinuousClock.now - started)
        output.respond(
            "request", ["text": Self.text(reply), "bytes": reply.count, "milliseconds": milliseconds],
            text: "\(Self.text(reply))  (\(reply.count) bytes, \(Self.format(milliseconds)) ms)")
    }

    private func subscribe(_ topic: String) async throws(ConsoleError) {
        guard subscriptions[topic] == nil else { throw .failed("already subscribed to '\(topic)'") }
        let stream = await node.subscribe(topic: topic)
        let output = output
        subscriptions[topic] = Task {
            for await delivery in stream { NodeConsole.print(delivery, to: output) }
        }
        output.respond("subscribe", ["topic": topic], text: "subscribed to '\(topic)'")
    }

    private func get(_ key: String) async throws(ConsoleError) {
        guard let value = try await Self.attempt({ try await node.kvs.get(key) }) else {
            output.respond("get", ["key": key, "found": false], text: "not found")
            return
        }
        output.respond(
            "get", ["key": key, "found": true, "text": Self.text(value.bytes), "version": Int(clamping: value.version)],
            text: "\(Self.text(value.bytes))  (version \(value.version))")
    }

    /// Waits until the node has `count` authenticated links, at most `seconds`.
    private func waitForLinks(_ count: Int, seconds: Double) async throws(ConsoleError) {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            let linked = await node.status().linkCount
            if linked >= count {
                output.respond("wait", ["links": linked], text: "\(linked) links")
                return
            }
            guard ContinuousClock.now < deadline else {
                // Say why links do not come up when a STUN/TURN server refused this node.
                var failures: [String] = []
                for error in await node.links().flatMap(\.iceServerErrors) where !failures.contains(error) {
                    failures.append(error)
                }
                let why = failures.isEmpty ? "" : "; ICE server failed: " + failures.joined(separator: ", ")
                throw .failed("only \(linked) of \(count) links after \(Self.format(seconds)) s\(why)")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The commands for `help` and `--help`: syntax, then the summary indented below it (a two-column
    /// table would be too wide for 80 columns).
    static var helpList: String {
        ConsoleCommand.usage.map { "  \($0.syntax)\n      \($0.summary)" }.joined(separator: "\n")
    }

    // MARK: formatting

    /// The first word of a line, to label the error response of a line that did not parse.
    private static func split(_ line: String) -> String {
        ConsoleCommand.split(line, maximumFields: 2).first ?? ""
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }

    /// `value`, or JSON `null`.
    static func orNull<Value>(_ value: Value?) -> Any { value.map { $0 as Any } ?? NSNull() }

    static func json(_ position: Position) -> ConsoleOutput.Fields { ["x": position.x, "y": position.y] }

    static func json(_ link: LinkStatus) -> ConsoleOutput.Fields {
        [
            "peer": link.peer.hex, "state": link.state.rawValue, "offerer": link.isOfferer,
            "role": orNull(link.role.map { "\($0)" }),
            "localCandidateType": orNull(link.localCandidateType?.rawValue),
            "remoteCandidateType": orNull(link.remoteCandidateType?.rawValue),
            "rttMilliseconds": orNull(link.roundTripTime.map(milliseconds)),
            "bytesSent": Int(clamping: link.bytesSent), "bytesReceived": Int(clamping: link.bytesReceived),
            "setupMilliseconds": orNull(link.setupTime.map(milliseconds)), "ageMilliseconds": milliseconds(link.age),
            "iceServerErrors": link.iceServerErrors,
        ]
    }

    static func json(_ status: NodeStatus) -> ConsoleOutput.Fields {
        let statistics = status.statistics
        return [
            "nodeID": orNull(status.nodeID?.hex), "network": orNull(status.network),
            "connected": status.isConnected, "seedConnected": status.isSeedConnected, "joined": status.hasJoined,
            "position": orNull(status.position.map(json)),
            "successors": status.successors.map(\.hex), "predecessors": status.predecessors.map(\.hex),
            "links": status.linkCount, "pendingLinks": status.pendingLinkCount,
            "pendingRequests": status.pendingRequestCount, "subscriptions": status.subscriptions,
            "statistics": [
                "framesSent": Int(clamping: statistics.framesSent), "framesReceived": Int(clamping: statistics.framesReceived),
                "packetsForwarded": Int(clamping: statistics.packetsForwarded), "malformedFrames": Int(clamping: statistics.malformedFrames),
                "hopLimitDrops": Int(clamping: statistics.hopLimitDrops), "unroutableDrops": Int(clamping: statistics.unroutableDrops),
                "duplicateDrops": Int(clamping: statistics.duplicateDrops),
            ],
        ]
    }

    static func text(_ status: NodeStatus) -> String {
        guard let id = status.nodeID else { return "not connected" }
        let statistics = status.statistics
        return """
            node \(id.hex) in '\(status.network ?? "")'\(status.hasJoined ? "" : " (joining)")\
            \(status.isSeedConnected ? "" : ", seed connection closed")
            position     \(status.position.map { "\($0.x),\($0.y)" } ?? "not set")
            successors   \(list(status.successors.map(\.hex)))
            predecessors \(list(status.predecessors.map(\.hex)))
            links        \(status.linkCount) authenticated, \(status.pendingLinkCount) being set up
            requests     \(status.pendingRequestCount) pending
            topics       \(list(status.subscriptions))
            frames       \(statistics.framesSent) sent, \(statistics.framesReceived) received, \
            \(statistics.packetsForwarded) forwarded
            drops        \(statistics.malformedFrames) malformed, \(statistics.hopLimitDrops) hop limit, \
            \(statistics.unroutableDrops) unroutable, \(statistics.duplicateDrops) duplicate
            """
    }

    private static func list(_ items: [String]) -> String {
        items.isEmpty ? "none" : items.joined(separator: " ")
    }

    static func table(_ links: [LinkStatus]) -> String {
        guard !links.isEmpty else { return "no links" }
        return links.map { link in
            let pair = "\(link.localCandidateType?.rawValue ?? "-")/\(link.remoteCandidateType?.rawValue ?? "-")"
            let rtt = link.roundTripTime.map { format(milliseconds($0)) + " ms" } ?? "-"
            let role = link.role.map { "\($0)" } ?? "-"
            return "\(link.peer.hex)  \(link.state.rawValue.padding(toLength: 13, withPad: " ", startingAt: 0))  "
                + "\(role.padding(toLength: 9, withPad: " ", startingAt: 0))  \(pair.padding(toLength: 11, withPad: " ", startingAt: 0))  "
                + "rtt \(rtt)  \(link.bytesSent)/\(link.bytesReceived) bytes out/in"
                + link.iceServerErrors.map { "\n    ICE server failed: \($0)" }.joined()
        }.joined(separator: "\n")
    }
}
