import Synchronization

/// What the survivors' pollers have seen since the kill in `colonio bench churn`: when each survivor
/// dropped each link to a dead node (the detection times), and when every survivor's ring lists were
/// exact at once (the repair time). Shared by one poller task per survivor.
final class ChurnRepairProgress: Sendable {
    private struct State {
        /// (survivor, dead peer) links still open at the last look.
        var unnoticed: Set<String>
        var detection: [Int] = []
        var exact: [Int: Bool]
        var ringExactAt: ContinuousClock.Instant?
    }

    private let killed: ContinuousClock.Instant
    private let state: Mutex<State>

    init(survivors: [Int], linked: [(survivor: Int, victim: String)], killed: ContinuousClock.Instant) {
        self.killed = killed
        state = Mutex(State(
            unnoticed: Set(linked.map { "\($0.survivor) \($0.victim)" }),
            exact: Dictionary(uniqueKeysWithValues: survivors.map { ($0, false) })))
    }

    /// Milliseconds from the kill to each noticed link's drop.
    var detection: [Int] { state.withLock { $0.detection } }
    var detectionComplete: Bool { state.withLock { $0.unnoticed.isEmpty } }
    var ringExactAt: ContinuousClock.Instant? { state.withLock { $0.ringExactAt } }
    var isComplete: Bool { state.withLock { $0.unnoticed.isEmpty && $0.ringExactAt != nil } }

    func awaitsNotice(by survivor: Int) -> Bool {
        state.withLock { state in state.unnoticed.contains { $0.hasPrefix("\(survivor) ") } }
    }

    /// `survivor`'s authenticated peers at `instant`: a dead peer missing from them has been noticed.
    func observe(links alive: Set<String>, of survivor: Int, at instant: ContinuousClock.Instant) {
        let elapsed = Int((instant - killed) / .milliseconds(1))
        state.withLock { state in
            for pair in state.unnoticed where pair.hasPrefix("\(survivor) ") {
                if !alive.contains(String(pair.dropFirst("\(survivor) ".count))) {
                    state.unnoticed.remove(pair)
                    state.detection.append(elapsed)
                }
            }
        }
    }

    /// Whether `survivor`'s lists were exact at `instant`; the first moment all are is the repair time.
    func observe(exact: Bool, of survivor: Int, at instant: ContinuousClock.Instant) {
        state.withLock { state in
            state.exact[survivor] = exact
            if state.ringExactAt == nil, state.exact.values.allSatisfy({ $0 }) { state.ringExactAt = instant }
        }
    }
}
