import NIOCore
import Synchronization

/// Every open connection's mailbox, so the seed can refuse connections beyond its caps and close
/// lapsed and, at shutdown, all connections.
final class ConnectionSet: Sendable {
    /// Why a new connection was refused.
    enum Refusal: Sendable {
        /// The seed already has `maximumConnections` open (or as many as its descriptors allow).
        case seedFull
        /// The client's address already has `maximumConnectionsPerAddress` open.
        case addressFull

        /// The label of the `colonio_seed_refused_connections_total` metric.
        var metricReason: String {
            switch self {
            case .seedFull: "seed_full"
            case .addressFull: "address_full"
            }
        }
    }

    private struct State {
        var mailboxes: [ObjectIdentifier: SeedMailbox] = [:]
        var perAddress: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let maximumConnections: Int
    private let maximumPerAddress: Int

    init(maximumConnections: Int, maximumPerAddress: Int) {
        self.maximumConnections = maximumConnections
        self.maximumPerAddress = maximumPerAddress
    }

    /// Adds `mailbox` unless a cap is reached; checked and counted under one lock, so concurrent
    /// accepts on several event loops cannot overshoot.
    func admit(_ mailbox: SeedMailbox) -> Refusal? {
        state.withLock { state in
            guard state.mailboxes.count < maximumConnections else { return .seedFull }
            let fromAddress = state.perAddress[mailbox.address, default: 0]
            guard fromAddress < maximumPerAddress else { return .addressFull }
            state.perAddress[mailbox.address] = fromAddress + 1
            state.mailboxes[ObjectIdentifier(mailbox)] = mailbox
            return nil
        }
    }

    func remove(_ mailbox: SeedMailbox) {
        state.withLock { state in
            guard state.mailboxes.removeValue(forKey: ObjectIdentifier(mailbox)) != nil else { return }
            let left = state.perAddress[mailbox.address, default: 1] - 1
            state.perAddress[mailbox.address] = left > 0 ? left : nil
        }
    }

    var count: Int { state.withLock { $0.mailboxes.count } }

    /// Closes every connection that missed a deadline at `now` or has been silent since before
    /// `silentSince`; returns how many of each.
    func closeLapsed(now: Int64, silentSince: Int64) -> [ConnectionDeadline: Int] {
        let all = state.withLock { Array($0.mailboxes.values) }
        var closed: [ConnectionDeadline: Int] = [:]
        for mailbox in all {
            let missed =
                mailbox.lapsedDeadline(now: now)
                ?? (mailbox.lastActivityMilliseconds() < silentSince ? .keepalive : nil)
            guard let missed else { continue }
            mailbox.close(code: missed.closeCode, reason: missed.closeReason)
            closed[missed, default: 0] += 1
        }
        return closed
    }

    /// Closes every connection; the returned future completes once all of them have closed.
    func closeAll(reason: String, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let all = state.withLock { Array($0.mailboxes.values) }
        for mailbox in all { mailbox.close(reason: reason) }
        return EventLoopFuture.andAllComplete(all.map(\.closeFuture), on: eventLoop)
    }
}
