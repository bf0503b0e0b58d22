import NIOCore
import Synchronization

/// Every open connection's mailbox, so the seed can close lapsed and, at shutdown, all connections.
final class ConnectionSet: Sendable {
    private let mailboxes = Mutex<[ObjectIdentifier: SeedMailbox]>([:])

    func insert(_ mailbox: SeedMailbox) {
        mailboxes.withLock { $0[ObjectIdentifier(mailbox)] = mailbox }
    }

    func remove(_ mailbox: SeedMailbox) {
        _ = mailboxes.withLock { $0.removeValue(forKey: ObjectIdentifier(mailbox)) }
    }

    var count: Int { mailboxes.withLock { $0.count } }

    /// Closes every connection silent since before `deadline`; returns how many.
    func closeSilent(since deadline: Int64, reason: String) -> Int {
        let lapsed = mailboxes.withLock { all in all.values.filter { $0.lastActivityMilliseconds() < deadline } }
        for mailbox in lapsed { mailbox.close(reason: reason) }
        return lapsed.count
    }

    /// Closes every connection; the returned future completes once all of them have closed.
    func closeAll(reason: String, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let all = mailboxes.withLock { Array($0.values) }
        for mailbox in all { mailbox.close(reason: reason) }
        return EventLoopFuture.andAllComplete(all.map(\.closeFuture), on: eventLoop)
    }
}
