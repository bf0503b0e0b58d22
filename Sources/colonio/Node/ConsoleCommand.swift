import ColonioCore
import Foundation

/// One line of `colonio node`'s console (an argument or a line on standard input), parsed.
enum ConsoleCommand: Equatable {
    /// Where `send` and `request` go: a node by ID, or the node responsible for a key.
    enum Target: Equatable {
        case node(NodeID)
        case ownerOf(String)
    }

    case send(Target, name: String, text: String)
    case request(Target, name: String, text: String)
    case publish(topic: String, center: Position, radius: Double, text: String)
    case subscribe(topic: String)
    case unsubscribe(topic: String)
    case position(Position)
    case handle(name: String)
    case links
    case status
    case wait(links: Int, seconds: Double)
    case sleep(seconds: Double)
    case put(key: String, text: String, condition: KVSCondition)
    case get(key: String)
    case delete(key: String, condition: KVSCondition)
    case help
    case quit

    /// Every command's syntax and what it does, for `help` and `colonio node --help`.
    static let usage: [(syntax: String, summary: String)] = [
        ("send <nodeID|owner:KEY> <name> <text>", "one-way message to the handler <name> of a node (or the owner of KEY)"),
        ("request <nodeID|owner:KEY> <name> <text>", "request to the handler <name>; prints the response"),
        ("publish <topic> <x,y> <radius> <text>",
         "pub/sub: reach the subscribers of <topic> inside the circle (sphere: x,y = longitude,latitude in degrees, radius in metres)"),
        ("subscribe <topic>", "print messages of <topic> whose circle contains this node"),
        ("unsubscribe <topic>", "stop printing messages of <topic>"),
        ("put [--if-absent|--if-present|--if-version=N] <key> <text>", "store <text> under <key> in the replicated KVS"),
        ("get <key>", "read <key>: its text and version, or not found"),
        ("delete [--if-present|--if-version=N] <key>", "remove <key> from the KVS"),
        ("position <x,y>", "place this node (sphere: x,y = longitude,latitude in degrees, longitude first)"),
        ("handle <name>", "answer requests to <name> like the built-in 'echo' handler and print them"),
        ("links", "this node's WebRTC links: state, ICE candidate types, round-trip time"),
        ("status", "node ID, ring neighbours, link count, overlay counters"),
        ("wait <links> [seconds]", "wait for at least <links> authenticated links (default 10 s)"),
        ("sleep <seconds>", "pause (one-shot scripts: keep printing subscriptions for a while)"),
        ("help", "this list"),
        ("quit", "leave the network and exit (end of input does the same)"),
    ]

    /// The command's first word, used to label its response.
    var verb: String {
        switch self {
        case .send: "send"
        case .request: "request"
        case .publish: "publish"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .position: "position"
        case .handle: "handle"
        case .links: "links"
        case .status: "status"
        case .wait: "wait"
        case .sleep: "sleep"
        case .put: "put"
        case .get: "get"
        case .delete: "delete"
        case .help: "help"
        case .quit: "quit"
        }
    }

    /// Parses one line; `nil` for an empty line or a `#` comment.
    init?(parsing line: String) throws(ConsoleError) {
        let words = Self.split(line, maximumFields: 2)
        guard let verb = words.first, !verb.hasPrefix("#") else { return nil }
        let rest = words.count > 1 ? words[1] : ""
        switch verb {
        case "send", "request":
            let fields = Self.split(rest, maximumFields: 3)
            guard fields.count >= 2 else { throw .usage(verb) }
            let target = try Self.target(fields[0])
            let text = fields.count > 2 ? fields[2] : ""
            self = verb == "send" ? .send(target, name: fields[1], text: text) : .request(target, name: fields[1], text: text)
        case "publish":
            let fields = Self.split(rest, maximumFields: 4)
            guard fields.count >= 3 else { throw .usage(verb) }
            guard let radius = Double(fields[2]), radius.isFinite, radius >= 0 else {
                throw .invalidArgument("radius '\(fields[2])' is not a non-negative number")
            }
            self = .publish(topic: fields[0], center: try Self.position(fields[1]), radius: radius,
                            text: fields.count > 3 ? fields[3] : "")
        case "subscribe", "unsubscribe", "handle":
            let fields = Self.split(rest, maximumFields: 2)
            guard fields.count == 1 else { throw .usage(verb) }
            self = verb == "subscribe" ? .subscribe(topic: fields[0])
                : verb == "unsubscribe" ? .unsubscribe(topic: fields[0]) : .handle(name: fields[0])
        case "put", "delete":
            var fields = Self.split(rest, maximumFields: 2)
            var condition = KVSCondition.none
            if let first = fields.first, first.hasPrefix("--") {
                condition = try Self.condition(first)
                fields = Self.split(fields.count > 1 ? fields[1] : "", maximumFields: 2)
            }
            if verb == "put" {
                guard let key = fields.first else { throw .usage(verb) }
                self = .put(key: key, text: fields.count > 1 ? fields[1] : "", condition: condition)
            } else {
                guard fields.count == 1, condition != .ifAbsent else { throw .usage(verb) }
                self = .delete(key: fields[0], condition: condition)
            }
        case "get":
            let fields = Self.split(rest, maximumFields: 2)
            guard fields.count == 1 else { throw .usage(verb) }
            self = .get(key: fields[0])
        case "position":
            guard !rest.isEmpty else { throw .usage(verb) }
            self = .position(try Self.position(rest))
        case "wait":
            let fields = Self.split(rest, maximumFields: 3)
            guard (1...2).contains(fields.count), let count = Int(fields[0]), count >= 0 else { throw .usage(verb) }
            let seconds = fields.count > 1 ? Double(fields[1]) : 10
            guard let seconds, (0...3600).contains(seconds) else { throw .invalidArgument("seconds must be 0 to 3600") }
            self = .wait(links: count, seconds: seconds)
        case "sleep":
            guard let seconds = Double(rest), (0...3600).contains(seconds) else { throw .usage(verb) }
            self = .sleep(seconds: seconds)
        case "links", "status", "help", "quit", "exit":
            guard rest.isEmpty else { throw .usage(verb) }
            switch verb {
            case "links": self = .links
            case "status": self = .status
            case "help": self = .help
            default: self = .quit
            }
        default:
            throw .unknownCommand(verb)
        }
    }

    /// `x,y` (no spaces needed; spaces after the comma are allowed).
    static func position(_ text: String) throws(ConsoleError) -> Position {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let x = Double(parts[0]), let y = Double(parts[1]), x.isFinite, y.isFinite else {
            throw .invalidArgument("position '\(text)' is not of the form x,y")
        }
        return Position(x: x, y: y)
    }

    /// `--if-absent`, `--if-present` or `--if-version=N`.
    private static func condition(_ text: String) throws(ConsoleError) -> KVSCondition {
        switch text {
        case "--if-absent": return .ifAbsent
        case "--if-present": return .ifPresent
        default:
            guard text.hasPrefix("--if-version="), let version = UInt64(text.dropFirst("--if-version=".count)) else {
                throw .invalidArgument("unknown condition '\(text)': use --if-absent, --if-present or --if-version=N")
            }
            return .ifVersion(version)
        }
    }

    private static func target(_ text: String) throws(ConsoleError) -> Target {
        if text.hasPrefix("owner:") { return .ownerOf(String(text.dropFirst("owner:".count))) }
        guard let id = NodeID(hex: text) else {
            throw .invalidArgument("'\(text)' is neither a node ID (32 hex digits) nor owner:KEY")
        }
        return .node(id)
    }

    /// Splits off up to `maximumFields - 1` whitespace-separated words; the last field is the rest of
    /// the line as written (message texts keep their inner spaces).
    static func split(_ line: String, maximumFields: Int) -> [String] {
        var fields: [String] = []
        var remainder = line[...].drop(while: \.isWhitespace)
        while !remainder.isEmpty {
            if fields.count == maximumFields - 1 {
                fields.append(remainder.trimmingCharacters(in: .whitespacesAndNewlines))
                break
            }
            let word = remainder.prefix(while: { !$0.isWhitespace })
            fields.append(String(word))
            remainder = remainder.dropFirst(word.count).drop(while: \.isWhitespace)
        }
        return fields
    }
}

/// Why a console line could not run; printed as the command's error response.
enum ConsoleError: Error, CustomStringConvertible {
    case unknownCommand(String)
    case usage(String)
    case invalidArgument(String)
    case failed(String)

    var description: String {
        switch self {
        case .unknownCommand(let verb): "unknown command '\(verb)'; type 'help' for the list"
        case .usage(let verb):
            "usage: " + (ConsoleCommand.usage.first { $0.syntax.hasPrefix(verb + " ") || $0.syntax == verb }?.syntax ?? verb)
        case .invalidArgument(let why): why
        case .failed(let why): why
        }
    }
}
