import ColonioSeed
import ColonioTesting
import Foundation
import Synchronization
import Testing

/// The README's example app, `location-chat`, as a user runs it: three processes on one map against a
/// seed; what one says reaches exactly the people within its radius, and the room topic is a
/// compare-and-set in the KVS.
@Suite(.serialized) struct LocationChatTests {
    @Test func linesReachThePeopleInRangeAndNobodyElse() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        do {
            try await Self.chat(seed: seed.url)
        } catch {
            await seed.stop()
            throw error
        }
        await seed.stop()
    }

    private static func chat(seed: String) async throws {
        // Ada and Bob stand 30 apart; Cy is 800 away, out of everyone's 100.
        let ada = try ChatProcess(seed: seed, name: "ada", position: "100,100")
        let bob = try ChatProcess(seed: seed, name: "bob", position: "130,100")
        let cy = try ChatProcess(seed: seed, name: "cy", position: "900,100")
        defer { for chat in [ada, bob, cy] { chat.terminate() } }
        for chat in [ada, bob, cy] { try await chat.waitFor { $0.hasPrefix("joined 'alpha' as ") } }

        // The geo neighbourhood forms after joining: say the first line until Bob hears one.
        try await retrying(timeout: .seconds(20)) {
            try ada.write("hello bob")
            try await bob.waitFor({ $0 == "ada: hello bob" }, within: .seconds(1))
        }
        try cy.write("anyone near?")
        try bob.write("hi ada")
        try await ada.waitFor { $0 == "bob: hi ada" }
        // Publications of different people are not ordered; Ada's next line, sent after Cy's, is the
        // best fence there is: by the time Bob hears it, a leak of Cy's line would most likely show.
        try ada.write("lunch?")
        try await bob.waitFor { $0 == "ada: lunch?" }
        #expect(!cy.output.contains { $0.hasPrefix("ada:") || $0.hasPrefix("bob:") })
        #expect(!ada.output.contains { $0.hasPrefix("cy:") } && !bob.output.contains { $0.hasPrefix("cy:") })
        // Nobody hears their own lines (the publisher is left out by default).
        #expect(!ada.output.contains { $0.hasPrefix("ada:") } && !bob.output.contains { $0.hasPrefix("bob:") })

        try ada.write("/topic lunch at noon")
        try await ada.waitFor { $0 == "topic is now 'lunch at noon' (version 1)" }
        try bob.write("/topic lunch at one")
        try await bob.waitFor { $0 == "topic is now 'lunch at one' (version 2)" }
        try ada.write("/who")
        try await ada.waitFor { $0.hasPrefix("  bob (") || $0.hasPrefix("  cy (") }

        for chat in [ada, bob, cy] {
            try chat.write("/quit")
            try await chat.waitForExit()
            #expect(chat.exitCode == 0)
        }
    }
}

/// A `location-chat` process driven through its standard input; killed when released.
final class ChatProcess: Sendable {
    private let process: Process
    private let input: FileHandle
    private let lines = LineBuffer()

    init(seed: String, name: String, position: String) throws {
        (process, input) = try NodeProcess.launch(
            NodeProcess.executable(named: "location-chat"),
            arguments: ["--seed", seed, "--network", "alpha", "--token", "alpha-token", "--name", name,
                        "--position", position, "--loopback-only"],
            lines: lines, standardError: FileHandle.nullDevice)
    }

    deinit { terminate() }

    var output: [String] { lines.snapshot() }
    var exitCode: Int32 { process.terminationStatus }

    func terminate() {
        if process.isRunning { process.terminate() }
    }

    func write(_ line: String) throws {
        try input.write(contentsOf: Data((line + "\n").utf8))
    }

    /// Waits until some printed line satisfies `matches`.
    func waitFor(_ matches: @escaping @Sendable (String) -> Bool, within timeout: Duration = .seconds(20)) async throws {
        let lines = lines
        guard await eventually(timeout: timeout, { lines.snapshot().contains(where: matches) }) else {
            throw NodeProcessError("no matching line within \(timeout); output: \(output.suffix(10))")
        }
    }

    func waitForExit(within timeout: Duration = .seconds(10)) async throws {
        guard await eventually(timeout: timeout, { !process.isRunning }) else {
            throw NodeProcessError("location-chat did not exit within \(timeout)")
        }
    }
}
