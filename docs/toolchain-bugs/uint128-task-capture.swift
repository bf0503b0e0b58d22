// Swift 6.3.1, x86_64 Linux, -Onone: a task closure capturing a struct that holds a `UInt128` (16-byte
// aligned) together with other captures crashes when the task resumes (SIGSEGV at 0x0, in the actor
// drain or at a garbage address; the executor's stack frame is overwritten). The same code with the
// struct replaced by a final class, or the `UInt128` by a `UInt64`, runs fine. Probably the Linux form
// of swiftlang/swift#90813 (the async partial-apply forwarder stores 16-byte-aligned captures into a
// tail-call stack-argument area). Colonio works around it: task closures never capture `NodeID`
// (a `UInt128`) directly (see `LinkKey` in Sources/Colonio/Node/ColonioNode+Links.swift).
//
// Reproduce: swiftc -Onone -swift-version 6 uint128-task-capture.swift -o /tmp/repro && /tmp/repro
struct Key: Sendable { let generation: UInt64; let peer: UInt128; let sessionID: UInt64 }
final class Link: Sendable {
    let events: AsyncStream<Int>
    let continuation: AsyncStream<Int>.Continuation
    init() { (events, continuation) = AsyncStream.makeStream(of: Int.self) }
}
actor Node {
    var seen = 0
    var tasks: [Task<Void, Never>] = []
    func start(_ link: Link, _ key: Key) {
        tasks.append(Task {
            for await event in link.events { self.handle(event, key) }
        })
    }
    func handle(_ event: Int, _ key: Key) { seen += event + Int(key.peer & 1) }
    func count() -> Int { seen }
}
let node = Node()
var links: [Link] = []
for i in 0..<50 {
    let link = Link()
    links.append(link)
    await node.start(link, Key(generation: 1, peer: UInt128(i) << 70 | 3, sessionID: UInt64(i)))
}
for _ in 0..<100 { for link in links { link.continuation.yield(1) } ; await Task.yield() }
for link in links { link.continuation.finish() }
try? await Task.sleep(for: .milliseconds(200))
print("seen", await node.count())
