import ArgumentParser
import Colonio
import Foundation

/// A location chat on Colonio, the complete example app of the README: what one person types reaches
/// everyone within `--radius` of their position on the network's map, and nobody else.
///
/// Commands typed on standard input: a line of text is said aloud; `/move x,y` moves; `/topic TEXT`
/// sets the room's topic in the replicated KVS (a compare-and-set, so two people setting it at once
/// cannot overwrite each other unseen); `/who` asks every linked node for its user's name; `/quit`.
@main
struct LocationChat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "location-chat", abstract: "Chat with the people near you on a Colonio network.")

    @Option(help: "The seed's URL (`colonio seed` listens on ws://127.0.0.1:8080).")
    var seed = "ws://127.0.0.1:8080"
    @Option(help: "The network to join.")
    var network = "demo"
    @Option(help: "The network's token.")
    var token = "demo-token"
    @Option(help: "The name others see.")
    var name: String
    @Option(help: "Where you stand, x,y on the network's plane.")
    var position = "0,0"
    @Option(help: "How far your voice carries.")
    var radius = 100.0
    @Flag(help: "Keep WebRTC on 127.0.0.1 (several chats on one machine, no network).")
    var loopbackOnly = false

    func run() async throws {
        let node = ColonioNode(options: ColonioNodeOptions(loopbackOnly: loopbackOnly))
        try await node.connect(seed: seed, network: network, token: token)
        try await node.setPosition(Self.position(position))
        let name = self.name
        await node.handle("name") { _ in Array(name.utf8) }
        let heard = await node.subscribe(topic: "chat")
        let listener = Task {
            for await message in heard { Self.say(String(decoding: message.payload, as: UTF8.self)) }
        }
        Self.say("joined '\(network)' as \(await node.nodeID?.description ?? "?"); type /quit to leave")

        for await line in Self.standardInputLines() {
            do {
                if try await perform(line, on: node) == false { break }
            } catch let error as ColonioError {
                Self.say("! \(error)")  // every ColonioError says what went wrong and what to do
            }
        }
        listener.cancel()
        await node.disconnect()
    }

    /// Runs one typed line; `false` to leave.
    private func perform(_ line: String, on node: ColonioNode) async throws -> Bool {
        let (command, argument) = Self.split(line)
        switch command {
        case "/quit":
            return false
        case "/move":
            try await node.setPosition(Self.position(argument))
        case "/topic":
            try await setTopic(argument, on: node)
        case "/who":
            for peer in await node.linkedPeers {
                let reply = try await node.request([], to: peer, name: "name")
                Self.say("  \(String(decoding: reply, as: UTF8.self)) (\(peer))")
            }
        default:
            guard let here = await node.status().position else { return true }
            try await node.publish(Array("\(name): \(line)".utf8), topic: "chat", center: here, radius: radius)
        }
        return true
    }

    /// Replaces the room's topic unless someone changed it since we read it.
    private func setTopic(_ topic: String, on node: ColonioNode) async throws {
        let current = try await node.kvs.get("chat/topic")
        let condition: KVSCondition = current.map { .ifVersion($0.version) } ?? .ifAbsent
        do {
            let stored = try await node.kvs.put("chat/topic", Array(topic.utf8), condition: condition)
            Self.say("topic is now '\(topic)' (version \(stored.version))")
        } catch {
            guard case .conditionFailed = error else { throw error }
            Self.say("someone else changed the topic just now; try again")
        }
    }

    private static func split(_ line: String) -> (command: String, argument: String) {
        guard line.hasPrefix("/") else { return (line, "") }
        let parts = line.split(separator: " ", maxSplits: 1)
        return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
    }

    private static func position(_ text: String) throws -> Position {
        let numbers = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard numbers.count == 2 else { throw ValidationError("a position is x,y, for example 120,80") }
        return Position(x: numbers[0], y: numbers[1])
    }

    /// Prints `line` at once (unbuffered, also when standard output is a pipe).
    private static func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Standard input's lines, read on their own thread: a blocking read must not hold a thread of the
    /// small cooperative pool the node runs on.
    private static func standardInputLines() -> AsyncStream<String> {
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let reader = Thread {
            while let line = readLine() { continuation.yield(line) }
            continuation.finish()
        }
        reader.start()
        return lines
    }
}
