#if !hasFeature(Embedded)
// Natively the browser shell is its own module (`ColonioBrowser`); the wasm build compiles it into the core.
import ColonioCore
#endif

// KVS checks for the WebAssembly build: prove the consensus state machine and key placement run in the
// browser exactly as natively.

/// The high 64 bits of the ring position of the key "abc" (SHA-256 prefix); natively 0xba7816bf8f01cfea.
@_cdecl("colonio_kvs_position_abc_high")
public func colonioKVSPositionABCHigh() -> UInt64 {
    KVSPlacement.position(ofKey: "abc").high
}

/// Runs put then get of one key through three `KVSInstance`s connected by an in-memory queue (messages
/// cross the wire codec); returns the version the get saw (1), or 0 if anything went wrong.
@_cdecl("colonio_kvs_selftest")
public func colonioKVSSelfTest() -> UInt64 {
    let nodes = [NodeID(1), NodeID(2), NodeID(3)]
    var instances = nodes.map { KVSInstance(nodeID: $0) }
    var random = SplitMix64(seed: 1)
    let replicas = KVSReplicaSet(nodes)
    var queue: [(bytes: [UInt8], from: Int, to: Int)] = []
    var lastResult: Result<KVSValue?, KVSError>?

    func apply(_ directives: [KVSDirective], at node: Int) {
        for directive in directives {
            switch directive {
            case .send(let message, let target):
                queue.append((message.encoded(), node, Int(target.value) - 1))
            case .complete(_, let result):
                lastResult = result
            }
        }
    }
    func drain() -> Bool {
        while !queue.isEmpty {
            let (bytes, from, to) = queue.removeFirst()
            guard let message = try? KVSMessage(decoding: bytes) else { return false }
            apply(instances[to].receive(message, from: nodes[from], now: .zero, using: &random), at: to)
        }
        return true
    }

    let (_, putDirectives) = instances[0].start(
        .put([42], condition: .ifAbsent), key: "k", replicas: replicas, now: .zero, using: &random)
    apply(putDirectives, at: 0)
    guard drain(), case .success(let stored?)? = lastResult, stored.version == 1 else { return 0 }
    lastResult = nil
    let (_, getDirectives) = instances[2].start(.get, key: "k", replicas: replicas, now: .zero, using: &random)
    apply(getDirectives, at: 2)
    guard drain(), case .success(let read?)? = lastResult, read.bytes == [42] else { return 0 }
    return read.version
}
