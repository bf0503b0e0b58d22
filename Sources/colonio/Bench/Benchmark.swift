import ArgumentParser
import Foundation

/// A `colonio bench` subcommand: it measures, then returns its figures as one JSON object, which
/// `run()` prints as JSON (`--json`) or as an indented summary. `bench all` collects the same objects.
protocol Benchmark: AsyncParsableCommand {
    /// `--json` or a summary.
    var output: BenchOutputOptions { get }

    /// Runs the benchmark; its figures as one JSON object (text), including the machine's core count.
    func figures() async throws -> String
}

extension Benchmark {
    mutating func run() async throws {
        output.print(try await figures())
    }
}

/// How a benchmark prints its figures.
struct BenchOutputOptions: ParsableArguments {
    @Flag(help: "Print the figures as one JSON object (for scripts) instead of an indented summary.")
    var json = false

    /// Prints `figures` (a JSON object) as asked.
    func print(_ figures: String) {
        if json {
            Swift.print(figures)
        } else if let value = try? JSONSerialization.jsonObject(with: Data(figures.utf8)) {
            Swift.print(BenchSummary.lines(of: value).joined(separator: "\n"))
        } else {
            // Not JSON: a bug in the benchmark, but the figures are still worth seeing.
            Swift.print(figures)
        }
    }
}

/// A JSON value as indented `key: value` lines, keys sorted, numbers rounded for reading.
enum BenchSummary {
    static func lines(of value: Any, indent: String = "") -> [String] {
        switch value {
        case let object as [String: Any]:
            return object.keys.sorted().flatMap { key -> [String] in
                let child = object[key]!
                if let scalar = scalarText(child) { return ["\(indent)\(key): \(scalar)"] }
                return ["\(indent)\(key):"] + lines(of: child, indent: indent + "  ")
            }
        case let array as [Any]:
            if let scalars = array.map(scalarText) as? [String] {
                return ["\(indent)\(scalars.joined(separator: ", "))"]
            }
            return array.enumerated().flatMap { index, element -> [String] in
                if let scalar = scalarText(element) { return ["\(indent)- \(scalar)"] }
                return ["\(indent)- #\(index + 1)"] + lines(of: element, indent: indent + "  ")
            }
        default:
            return ["\(indent)\(scalarText(value) ?? "\(value)")"]
        }
    }

    /// A number, string, boolean or null as text; `nil` for objects and arrays.
    static func scalarText(_ value: Any) -> String? {
        switch value {
        case is [String: Any], is [Any]: return nil
        case let text as String: return text
        case is NSNull: return "null"
        case let number as NSNumber:
            let double = number.doubleValue
            if double == double.rounded(), abs(double) < 1e15 { return String(Int64(double)) }
            if abs(double) >= 100 { return String(format: "%.0f", double) }
            var text = String(format: "%.3f", double)
            while text.hasSuffix("0") { text.removeLast() }
            return text
        default: return "\(value)"
        }
    }
}
