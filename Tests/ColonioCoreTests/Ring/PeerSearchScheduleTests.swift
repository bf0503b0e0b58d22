import Testing
@testable import ColonioCore

@Suite struct PeerSearchScheduleTests {
    private func at(_ milliseconds: UInt64) -> MonotonicTime { MonotonicTime(milliseconds: milliseconds) }

    /// `isDue` outside `#expect`, which cannot call a mutating method.
    private func due(_ schedule: inout PeerSearchSchedule, alone: Bool, at milliseconds: UInt64) -> Bool {
        schedule.isDue(alone: alone, now: at(milliseconds))
    }

    @Test func aLoneNodeAsksAfterTheFirstDelayThenEverLessOftenUpToTheMaximum() {
        var schedule = PeerSearchSchedule(firstDelayMilliseconds: 1_000, maximumDelayMilliseconds: 4_000)
        var asked: [UInt64] = []
        for time in stride(from: UInt64(0), through: 20_000, by: 100) where schedule.isDue(alone: true, now: at(time)) {
            asked.append(time)
        }
        // Alone from 0: 1 s, then waits of 2, 4, 4, 4 ... s.
        #expect(asked == [1_000, 3_000, 7_000, 11_000, 15_000, 19_000])
    }

    @Test func aLinkResetsTheSchedule() {
        var schedule = PeerSearchSchedule(firstDelayMilliseconds: 1_000, maximumDelayMilliseconds: 30_000)
        #expect(!due(&schedule, alone: true, at: 0))
        #expect(due(&schedule, alone: true, at: 1_000))
        #expect(!due(&schedule, alone: true, at: 2_500))
        #expect(!due(&schedule, alone: false, at: 2_600))
        // Alone again: the first delay again, from now.
        #expect(!due(&schedule, alone: true, at: 5_000))
        #expect(!due(&schedule, alone: true, at: 5_999))
        #expect(due(&schedule, alone: true, at: 6_000))
    }

    @Test func aNodeWithLinksNeverAsks() {
        var schedule = PeerSearchSchedule()
        for time in stride(from: UInt64(0), through: 100_000, by: 1_000) {
            #expect(!due(&schedule, alone: false, at: time))
        }
    }
}
