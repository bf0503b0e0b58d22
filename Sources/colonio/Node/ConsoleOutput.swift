import Foundation
import Synchronization

/// Where `colonio node` prints responses and events: human-readable lines, or with `--json` exactly one
/// JSON object per line. Lines are written whole, under a lock, so events from background tasks never
/// interleave with responses.
final class ConsoleOutput: Sendable {
    /// A JSON object's fields; values are JSON-compatible (`String`, `Bool`, numbers, arrays,
    /// dictionaries, `NSNull`).
    typealias Fields = [String: Any]

    let json: Bool
    private let lock = Mutex(())

    init(json: Bool) {
        self.json = json
    }

    /// The reply to a command: `{"response": verb, "ok": true, ...fields}`, or `text` for people.
    func respond(_ verb: String, _ fields: Fields = [:], text: @autoclosure () -> String) {
        var object = fields
        object["response"] = verb
        object["ok"] = true
        write(json ? Self.encode(object) : text())
    }

    /// A failed command: `{"response": verb, "ok": false, "error": why}`.
    func fail(_ verb: String, _ error: String) {
        write(json ? Self.encode(["response": verb, "ok": false, "error": error]) : "error: \(error)")
    }

    /// Something that happened on its own: `{"event": kind, ...fields}`.
    func event(_ kind: String, _ fields: Fields = [:], text: @autoclosure () -> String) {
        var object = fields
        object["event"] = kind
        write(json ? Self.encode(object) : text())
    }

    /// Writes without a newline (the interactive prompt); nothing in JSON mode.
    func prompt(_ text: String) {
        guard !json else { return }
        lock.withLock { _ in FileHandle.standardOutput.write(Data(text.utf8)) }
    }

    private func write(_ line: String) {
        // FileHandle writes are unbuffered: a parent process reading the pipe sees each line at once.
        lock.withLock { _ in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    }

    static func encode(_ object: Fields) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"error":"unencodable output"}"#
        }
        return String(decoding: data, as: UTF8.self)
    }
}
