@testable import ColonioSeed
import Logging
import Synchronization
import Testing

/// Issue #18, finding 6: attacker-chosen text in logs and error frames.
struct UntrustedTextTests {
    @Test func controlCharactersAreEscaped() {
        #expect(UntrustedText.escaped("a\nb\rc\td\\e\u{1B}f\u{2028}", maximumBytes: 100) == #"a\nb\rc\td\\e\u{1B}f\u{2028}"#)
        #expect(UntrustedText.escaped("plain näme", maximumBytes: 100) == "plain näme")
    }

    @Test func longTextIsCutToTheBudgetWithAMark() {
        let cut = UntrustedText.escaped(String(repeating: "x", count: 70_000), maximumBytes: 1024)
        #expect(cut.utf8.count <= 1024)
        #expect(cut.hasSuffix(UntrustedText.truncationMark))
        // Exactly at the budget: kept whole.
        let exact = String(repeating: "y", count: 1024)
        #expect(UntrustedText.escaped(exact, maximumBytes: 1024) == exact)
        // Multi-byte characters are never split.
        let wide = UntrustedText.escaped(String(repeating: "é", count: 1000), maximumBytes: 101)
        #expect(wide.utf8.count <= 101)
        #expect(wide.hasSuffix(UntrustedText.truncationMark))
    }
}

/// Issue #18, finding 6: 2 KB of bad frames made 21 MB of log; refusal lines are now budgeted.
struct RefusalLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[Logger.Metadata]>([])
    }

    struct CapturingHandler: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.lines.withLock { $0.append(event.metadata ?? [:]) }
        }
    }

    @Test func linesBeyondTheBudgetAreCountedInTheNextLine() {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in CapturingHandler(lines: lines) }
        let log = RefusalLog(linesPerSecond: 10, now: 0)
        for _ in 0..<1000 { log.notice("refused", metadata: [:], logger: logger, now: 500) }
        #expect(lines.lines.withLock { $0.count } == 10)
        log.notice("refused", metadata: [:], logger: logger, now: 1_600)
        let last = lines.lines.withLock { $0.last }
        #expect(lines.lines.withLock { $0.count } == 11)
        #expect(last?["suppressedSincePreviousLine"] == "990")
    }
}
