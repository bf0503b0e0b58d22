// libFuzzer harness for every decoder of ColonioCore that reads bytes from the network.
//
// Not part of the Swift package: `scripts/fuzz.sh` compiles this file together with the core's sources
// into one module and one binary (`swiftc -sanitize=fuzzer,address`), so the harness also reaches the
// core's internal messages. The target is chosen with COLONIO_FUZZ_TARGET (see `FuzzTarget`);
// COLONIO_FUZZ_WRITE_CORPUS=<dir> writes the seed corpus of every target under <dir>/<target>/ and exits.
//
// Each wire target checks, besides "never trap": a decoded value re-encodes to bytes that decode to an
// equal value, encoding that value again gives the same bytes (the encoding is canonical), and unknown
// fields around the encoding are skipped.
import Glibc

/// The decoders and state machines the harness drives, by the name the scripts use.
enum FuzzTarget: String, CaseIterable {
    /// `SeedFrame`: every frame between a node and the seed (sign-in, certificates, configuration, signals).
    case seedFrame = "seed-frame"
    /// `NodeCertificate`, `SignInResume` and `SignInRequest` on the same input, plus the Ed25519 key rules.
    case certificate
    /// `LinkHello`, then the controller's hello checks (`LinkNegotiation.helloArrived`).
    case linkHello = "link-hello"
    /// `SignalPayload` and the SDP fingerprint rule on its offers and answers (and on the raw input).
    case signal
    /// `NetworkConfiguration`, then the node's machines built from it (a seed operator is a party too).
    case config
    /// `OverlayPacket`, the envelope every link frame is.
    case overlayPacket = "overlay-packet"
    /// `OverlayBody` (link state, owner replies, liveness, application messages, failures, signals).
    case overlayBody = "overlay-body"
    /// `KVSEnvelope` and `KVSMessage`, then the KVS coordinator receiving them.
    case kvs
    /// `SpreadPacket`, then a geo instance receiving it.
    case spread
    /// `Reassembler`: a script of fragments (see `fuzzReassembly`).
    case reassembly
    /// `NodeMachine.received`: a sequence of link frames from one linked peer (see `fuzzNode`).
    case node
    /// `NodeController.seedBytes`: a sequence of seed frames to a node that signed in (see `fuzzController`).
    case controller
}

nonisolated(unsafe) var selectedTarget = FuzzTarget.seedFrame

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let directory = getenv("COLONIO_FUZZ_WRITE_CORPUS") {
        writeCorpus(to: String(cString: directory))
        exit(0)
    }
    let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: " ")
    guard let raw = getenv("COLONIO_FUZZ_TARGET"), let target = FuzzTarget(rawValue: String(cString: raw)) else {
        print("COLONIO_FUZZ_TARGET must be one of: \(names)")
        exit(2)
    }
    selectedTarget = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch selectedTarget {
    case .seedFrame: fuzzSeedFrame(bytes)
    case .certificate: fuzzCertificate(bytes)
    case .linkHello: fuzzLinkHello(bytes)
    case .signal: fuzzSignal(bytes)
    case .config: fuzzConfiguration(bytes)
    case .overlayPacket: fuzzOverlayPacket(bytes)
    case .overlayBody: fuzzOverlayBody(bytes)
    case .kvs: fuzzKVS(bytes)
    case .spread: fuzzSpread(bytes)
    case .reassembly: fuzzReassembly(bytes)
    case .node: fuzzNode(bytes)
    case .controller: fuzzController(bytes)
    }
    return 0
}

// MARK: - Properties

/// Decodes `bytes` as `M` and checks the round trip; `nil` when the decoder refused the input (with a
/// typed error: anything else would have trapped).
@discardableResult
func roundTrip<M: WireMessage & Equatable>(_ bytes: [UInt8], as type: M.Type) -> M? {
    let value: M
    do {
        value = try M(decoding: bytes)
    } catch {
        return nil
    }
    let encoded = value.encoded()
    let again: M
    do {
        again = try M(decoding: encoded)
    } catch {
        fatalError("\(M.self): its own encoding does not decode: \(error)")
    }
    guard again == value else { fatalError("\(M.self): decode(encode(value)) differs from value") }
    guard again.encoded() == encoded else { fatalError("\(M.self): the encoding of an equal value differs") }
    // Forward compatibility: a field this version does not know (number 1000, before and after) is skipped.
    let unknown: [UInt8] = [0xC0, 0x3E, 0x01]
    guard (try? M(decoding: unknown + encoded + unknown)) == value else {
        fatalError("\(M.self): an unknown field changed the decoded value")
    }
    return value
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}

// MARK: - Seed protocol

func fuzzSeedFrame(_ bytes: [UInt8]) {
    guard let frame = roundTrip(bytes, as: SeedFrame.self) else { return }
    _ = frame.isClientFrame
    switch frame {
    case .signIn(let request):
        if let resume = request.resume { _ = resume.signedBytes; _ = resume.certificate.signedBytes }
        _ = Ed25519Encoding.defect(ofPublicKey: request.publicKey)
    case .signedIn(let response):
        _ = response.certificate.signedBytes
        checkConfiguration(response.configuration)
    case .certificateRenewed(let certificate, _):
        _ = certificate.signedBytes
    case .error(let error):
        _ = error.code.name
    default:
        break
    }
}

func fuzzCertificate(_ bytes: [UInt8]) {
    if let certificate = roundTrip(bytes, as: NodeCertificate.self) {
        let signed = certificate.signedBytes
        require(signed.starts(with: NodeCertificate.signatureDomain), "certificate: signed bytes lack the domain")
        _ = Ed25519Encoding.defect(ofPublicKey: certificate.publicKey)
        _ = Ed25519Encoding.isStrictSignature(certificate.signature)
        _ = certificate.isValid(atUnixSeconds: 1_700_000_000)
    }
    if let resume = roundTrip(bytes, as: SignInResume.self) {
        require(resume.signedBytes.starts(with: SignInResume.signatureDomain), "resume: signed bytes lack the domain")
    }
    if let request = roundTrip(bytes, as: SignInRequest.self) {
        _ = Ed25519Encoding.defect(ofPublicKey: request.publicKey)
    }
    // The key and signature rules take any bytes.
    _ = Ed25519Encoding.defect(ofPublicKey: bytes)
    _ = Ed25519Encoding.isStrictSignature(bytes)
}

/// The network and peer of the hello checks; the corpus's hellos use them so that the fuzzer starts
/// past the network and node checks.
let helloNetwork = "fuzz"
let helloPeer = NodeID(high: 0x0123_4567_89AB_CDEF, low: 0x0FED_CBA9_8765_4321)
let helloFingerprint = "sha-256 " + (0..<32).map { _ in "AB" }.joined(separator: ":")

func fuzzLinkHello(_ bytes: [UInt8]) {
    roundTrip(bytes, as: LinkHello.self)
    var negotiation = LinkNegotiation(
        answering: helloPeer, session: 1, remoteFingerprint: helloFingerprint, viaSeed: true, now: .zero)
    do {
        _ = try negotiation.localDescriptionMade("v=0\r\na=fingerprint:\(helloFingerprint)\r\n")
        let signatures = try negotiation.helloArrived(
            bytes, network: helloNetwork, seedPublicKey: [UInt8](repeating: 7, count: 32), unixSeconds: 1_700_000_000)
        if signatures != nil { _ = try negotiation.helloVerified(true, now: MonotonicTime(milliseconds: 5)) }
    } catch {
        _ = error.description
    }
}

func fuzzSignal(_ bytes: [UInt8]) {
    if let signal = roundTrip(bytes, as: SignalPayload.self) {
        switch signal.kind {
        case .offer(let sdp), .answer(let sdp): checkFingerprint(sdp)
        case .candidate: break
        }
    }
    checkFingerprint(String(decoding: bytes, as: UTF8.self))
}

/// The fingerprint rule: what it returns is one line's value, found verbatim in the description.
func checkFingerprint(_ sdp: String) {
    do {
        let value = try SDPFingerprint.only(in: sdp)
        require(!value.isEmpty, "fingerprint: empty value accepted")
        require(Array(sdp.utf8).firstRange(of: Array(value.utf8)) != nil, "fingerprint: value not in the SDP")
        require(!value.utf8.contains(0x0A) && !value.utf8.contains(0x0D), "fingerprint: value spans lines")
    } catch {
        _ = error
    }
}

func fuzzConfiguration(_ bytes: [UInt8]) {
    guard let configuration = roundTrip(bytes, as: NetworkConfiguration.self) else { return }
    checkConfiguration(configuration)
}

/// Builds the node's machines from a configuration the seed sent and runs them a little: whatever the
/// decoder accepts must not make them trap.
func checkConfiguration(_ configuration: NetworkConfiguration) {
    let local = NodeID(high: 1, low: 2)
    let peer = NodeID(high: 3, low: 4)
    var machine = NodeMachine(settings: configuration.routing)
    var now = MonotonicTime(milliseconds: 1_000)
    _ = machine.start(localID: local, bootstrapPeers: [peer], now: now)
    _ = machine.linkOpened(peer, now: now)
    _ = try? machine.send(name: "fuzz", payload: [1, 2, 3], to: .node(peer), now: now)
    let joint = KVSCoordinator.jointMilliseconds(routing: configuration.routing, kvs: configuration.kvs)
    var kvs = KVSCoordinator(
        nodeID: local, settings: configuration.kvs, jointMilliseconds: joint, randomSeed: 1, now: now)
    _ = kvs.neighboursChanged(successors: [peer], predecessors: [peer], now: now)
    _ = kvs.start(.put([1], condition: .none), key: "k", now: now)
    var geo = GeoInstance(id: local, space: configuration.space, settings: configuration.spread)
    _ = try? geo.setPosition(Position(x: 0.5, y: 0.5), now: now)
    _ = geo.discovered([peer], now: now)
    for step in 0..<4 {
        now = now.adding(milliseconds: UInt64(step) * 10_000 + 1)
        _ = machine.tick(now: now)
        _ = kvs.tick(now: now)
        _ = geo.tick(now: now)
    }
}

// MARK: - Overlay

func fuzzOverlayPacket(_ bytes: [UInt8]) {
    guard let packet = roundTrip(bytes, as: OverlayPacket.self) else { return }
    require(packet.fragmentIndex < packet.fragmentCount, "overlay packet: fragment index past the count")
    if packet.fragmentCount > 1 {
        var reassembler = Reassembler(
            fragmentBytes: 16, maximumBodyBytes: 256, maximumBufferedBytes: 512, timeoutMilliseconds: 1_000)
        _ = reassembler.add(packet, now: .zero)
    }
}

func fuzzOverlayBody(_ bytes: [UInt8]) {
    guard let body = roundTrip(bytes, as: OverlayBody.self) else { return }
    switch body {
    case .linkState(let state):
        require(state.successors.count <= LinkState.maximumListCount, "link state: too many successors")
        require(state.predecessors.count <= LinkState.maximumListCount, "link state: too many predecessors")
    case .kvs(let inner):
        roundTrip(inner, as: KVSEnvelope.self)
    case .spread(let inner):
        roundTrip(inner, as: SpreadPacket.self)
    case .signal(let signed):
        roundTrip(signed.certificate.encoded(), as: NodeCertificate.self)
        if case .offer(let sdp) = signed.signal.kind { checkFingerprint(sdp) }
    case .failure(let failure):
        require(failure.detail.utf8.count <= DeliveryFailure.maximumDetailBytes, "failure: detail too long")
    default:
        break
    }
}

// MARK: - KVS and spread

func fuzzKVS(_ bytes: [UInt8]) {
    roundTrip(bytes, as: KVSMessage.self)
    guard roundTrip(bytes, as: KVSEnvelope.self) != nil else { return }
    let local = NodeID(high: 10, low: 0)
    let sender = NodeID(high: 20, low: 0)
    var now = MonotonicTime(milliseconds: 1_000)
    var coordinator = KVSCoordinator(
        nodeID: local, settings: KVSSettings(), jointMilliseconds: 1_000, randomSeed: 7, now: now)
    _ = coordinator.neighboursChanged(successors: [sender], predecessors: [sender], now: now)
    let token = ReplyToken(requester: sender, requestID: 9, channel: .kvs)
    _ = coordinator.received(bytes, from: sender, reply: token, now: now)
    _ = coordinator.received(bytes, from: sender, reply: nil, now: now)
    now = now.adding(milliseconds: 60_000)
    _ = coordinator.tick(now: now)
}

func fuzzSpread(_ bytes: [UInt8]) {
    guard roundTrip(bytes, as: SpreadPacket.self) != nil else { return }
    let local = NodeID(high: 10, low: 0)
    let sender = NodeID(high: 20, low: 0)
    let now = MonotonicTime(milliseconds: 1_000)
    for space in [CoordinateSpace.plane(width: 100, height: 100), .sphere(radius: 6_371_000), .torus(width: 100, height: 100)] {
        var geo = GeoInstance(id: local, space: space)
        geo.subscribe("t")
        _ = try? geo.setPosition(Position(x: 10, y: 10), now: now)
        _ = geo.discovered([sender], now: now)
        _ = geo.receive(bytes, from: sender, now: now)
        _ = geo.receive(bytes, from: sender, now: now.adding(milliseconds: 1))
        _ = geo.tick(now: now.adding(milliseconds: 100_000))
    }
}

// MARK: - Reassembly

/// Reads the fuzzer's bytes one value at a time; zeros once they run out.
struct ByteScript {
    var bytes: [UInt8]
    var position = 0

    var isAtEnd: Bool { position >= bytes.count }

    mutating func next() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, position + count)
        defer { position = end }
        return Array(bytes[position..<end])
    }
}

/// The content a fragment of the reassembly script carries: a function of its body and its place, so
/// that a completed body shows whether pieces of different bodies were mixed.
func fragmentContent(source: UInt8, packetID: UInt8, index: Int, length: Int) -> [UInt8] {
    (0..<length).map { offset in UInt8(truncatingIfNeeded: Int(source) &* 31 &+ Int(packetID) &* 7 &+ index &* 13 &+ offset) }
}

/// The first byte picks the limits; the rest is a script. Op 0-4: a fragment (source, packet ID,
/// count, index, length; content from `fragmentContent`); op 5: time passes and expiry runs; op 6: a
/// body is split with `Fragmenter` and its pieces are added in an order the script picks (it must
/// come out whole, once). Checked after each step: the byte and body bounds hold, and a completed body
/// is made of its own pieces.
func fuzzReassembly(_ bytes: [UInt8]) {
    var script = ByteScript(bytes: bytes)
    let shape = script.next()
    let fragmentBytes = Int(shape & 7) + 1
    let maximumBodyBytes = Int((shape >> 3) & 7) * 8 + fragmentBytes
    let maximumPending = Int(shape >> 6) + 1
    let maximumBufferedBytes = maximumBodyBytes * 2
    var reassembler = Reassembler(
        fragmentBytes: fragmentBytes, maximumBodyBytes: maximumBodyBytes, maximumPending: maximumPending,
        maximumBufferedBytes: maximumBufferedBytes, timeoutMilliseconds: 100)
    var now = MonotonicTime(milliseconds: 0)
    var splitID: UInt64 = 1_000
    func check(_ reassembler: Reassembler) {
        require(reassembler.bufferedBytes >= 0, "reassembler: negative byte count")
        require(reassembler.bufferedBytes <= maximumBufferedBytes, "reassembler: holds \(reassembler.bufferedBytes) > \(maximumBufferedBytes) bytes")
        require(reassembler.pendingCount <= maximumPending, "reassembler: \(reassembler.pendingCount) bodies pending")
        require(reassembler.pendingCount > 0 || reassembler.bufferedBytes == 0, "reassembler: bytes held for no body")
    }
    while !script.isAtEnd {
        let op = script.next() % 7
        switch op {
        case 5:
            now = now.adding(milliseconds: UInt64(script.next()))
            reassembler.expire(now: now)
        case 6:
            let length = Int(script.next()) % (maximumBodyBytes + 1)
            let body = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ Int(splitID)) }
            let pieces = Fragmenter.split(body, fragmentBytes: fragmentBytes)
            guard pieces.count > 1 else { continue }
            require(pieces.count <= reassembler.maximumFragments, "fragmenter: more pieces than the reassembler allows")
            var order = Array(pieces.indices)
            for index in order.indices.reversed() where index > 0 {
                order.swapAt(index, Int(script.next()) % (index + 1))
            }
            let source = NodeID(high: 99, low: splitID)
            var completions = 0
            for (step, index) in order.enumerated() {
                let packet = OverlayPacket(
                    destination: .zero, mode: .toNode, source: source, packetID: splitID,
                    fragmentIndex: UInt32(index), fragmentCount: UInt32(pieces.count), body: pieces[index])
                switch reassembler.add(packet, now: now) {
                case .complete(let whole):
                    completions += 1
                    require(step == order.count - 1, "reassembler: complete before the last piece")
                    require(whole == body, "reassembler: split body came back different")
                case .incomplete:
                    require(step < order.count - 1, "reassembler: all pieces in, still incomplete")
                case .rejected:
                    fatalError("reassembler: rejected a piece of a body that fits its limits")
                }
                check(reassembler)
            }
            require(completions == 1, "reassembler: split body completed \(completions) times")
            splitID += 1
        default:
            let source = script.next() & 3
            let packetID = script.next() & 3
            let count = Int(script.next() & 15)
            let index = Int(script.next() & 15)
            let length = Int(script.next() & 15)
            guard count >= 2, index < count else { continue }
            let packet = OverlayPacket(
                destination: .zero, mode: .toNode, source: NodeID(high: 0, low: UInt64(source)),
                packetID: UInt64(packetID), fragmentIndex: UInt32(index), fragmentCount: UInt32(count),
                body: fragmentContent(source: source, packetID: packetID, index: index, length: length))
            if case .complete(let whole) = reassembler.add(packet, now: now) {
                require(whole.count <= count * fragmentBytes, "reassembler: body longer than its fragments")
                require(whole.count > (count - 1) * fragmentBytes - fragmentBytes || count == 1, "reassembler: body too short")
                var offset = 0
                for piece in 0..<count {
                    let pieceLength = piece == count - 1 ? whole.count - offset : fragmentBytes
                    require(pieceLength >= 0 && pieceLength <= fragmentBytes, "reassembler: piece \(piece) has \(pieceLength) bytes")
                    let expected = fragmentContent(source: source, packetID: packetID, index: piece, length: pieceLength)
                    require(Array(whole[offset..<offset + pieceLength]) == expected, "reassembler: piece \(piece) of another body")
                    offset += pieceLength
                }
            }
        }
        check(reassembler)
    }
}

// MARK: - Node

/// The node under test and its one linked peer (the peer's ID is below, so the node owns most IDs).
let nodeLocal = NodeID(high: 0x8000_0000_0000_0000, low: 0)
let nodePeer = NodeID(high: 0x4000_0000_0000_0000, low: 0)

/// A sequence of link frames from one peer to a started node: each frame is a 2-byte big-endian
/// length and that many bytes (an `OverlayPacket` to get anywhere); a length of 0xFFFF is a tick of one
/// second instead. Small fragments (256 bytes), so that fragmented bodies are reachable.
func fuzzNode(_ bytes: [UInt8]) {
    var settings = RoutingSettings()
    settings.fragmentBytes = 256
    settings.maximumMessageBytes = 4096
    var machine = NodeMachine(settings: settings)
    var now = MonotonicTime(milliseconds: 1_000)
    _ = machine.start(localID: nodeLocal, bootstrapPeers: [nodePeer], now: now)
    _ = machine.linkOpened(nodePeer, now: now)
    machine.registerHandler("fuzz")
    var kvs = KVSCoordinator(nodeID: nodeLocal, settings: KVSSettings(), jointMilliseconds: 1_000, randomSeed: 3, now: now)
    _ = kvs.neighboursChanged(successors: [nodePeer], predecessors: [nodePeer], now: now)
    var geo = GeoInstance(id: nodeLocal, space: .plane(width: 100, height: 100))
    geo.subscribe("t")
    _ = try? geo.setPosition(Position(x: 10, y: 10), now: now)
    frameScript(bytes, frame: { frame in
        for directive in machine.received(frame, from: nodePeer, now: now) {
            // Hand on what reaches the application, the KVS and spread, as a node's shell would.
            switch directive {
            case .deliverRequest(let incoming):
                if let token = incoming.reply { _ = machine.respond(to: token, payload: incoming.payload, now: now) }
            case .deliverKVS(let incoming):
                _ = kvs.received(incoming.bytes, from: incoming.source, reply: incoming.reply, now: now)
            case .deliverSpread(let incoming):
                _ = geo.receive(incoming.bytes, from: incoming.source, now: now)
            default:
                break
            }
        }
        now = now.adding(milliseconds: 1)
    }, tick: {
        now = now.adding(milliseconds: 1_000)
        _ = machine.tick(now: now)
        _ = kvs.tick(now: now)
        _ = geo.tick(now: now)
    })
    _ = machine.tick(now: now.adding(milliseconds: 60_000))
}

/// Splits the node and controller scripts: a 2-byte big-endian length and that many bytes, or 0xFFFF
/// for "one second passes".
func frameScript(_ bytes: [UInt8], frame: ([UInt8]) -> Void, tick: () -> Void) {
    var script = ByteScript(bytes: bytes)
    while !script.isAtEnd {
        let length = Int(script.next()) << 8 | Int(script.next())
        if length == 0xFFFF {
            tick()
        } else {
            frame(script.take(length))
        }
    }
}

/// Frames from a seed to a node that has sent its sign-in (`SeedFrame`s in the corpus: a challenge,
/// the sign-in's answer, relayed signals, peers, a renewed certificate, errors).
func fuzzController(_ bytes: [UInt8]) {
    var controller = NodeController(randomSeed: 5)
    var now = MonotonicTime(milliseconds: 1_000)
    var unixSeconds: UInt64 = 1_700_000_000
    _ = try? controller.signIn(network: "net", token: "secret", publicKey: [UInt8](repeating: 0x5A, count: 32))
    frameScript(bytes, frame: { frame in
        _ = controller.seedBytes(frame, now: now, unixSeconds: unixSeconds)
        now = now.adding(milliseconds: 1)
    }, tick: {
        now = now.adding(milliseconds: 1_000)
        unixSeconds += 1
        _ = controller.tick(now: now, unixSeconds: unixSeconds)
    })
    _ = controller.tick(now: now.adding(milliseconds: 60_000), unixSeconds: unixSeconds + 60)
}

/// Length-prefixed frames as `frameScript` reads them, then one tick.
func frameScriptBytes(_ frames: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    for bytes in frames { out += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
    return out + [0xFF, 0xFF]
}

// MARK: - Seed corpus

/// Small valid encodings for every target, written by `COLONIO_FUZZ_WRITE_CORPUS`.
func corpus(for target: FuzzTarget) -> [[UInt8]] {
    let a = NodeID(high: 0x1111_2222_3333_4444, low: 0x5555_6666_7777_8888)
    let b = NodeID(high: 0x9999_AAAA_BBBB_CCCC, low: 0xDDDD_EEEE_FFFF_0001)
    let key = [UInt8](repeating: 0x5A, count: 32)
    let signature = [UInt8](repeating: 0x11, count: 64)
    let certificate = NodeCertificate(network: "net", nodeID: a, publicKey: key, expiry: 1_800_000_000, signature: signature)
    let helloCertificate = NodeCertificate(
        network: helloNetwork, nodeID: helloPeer, publicKey: key, expiry: 1_800_000_000, signature: signature)
    let resume = SignInResume(certificate: certificate, unixSeconds: 1_700_000_000, challenge: [UInt8](repeating: 3, count: 16), signature: signature)
    var routing = RoutingSettings()
    routing.fragmentBytes = 1024
    var kvsSettings = KVSSettings()
    kvsSettings.replicationFactor = 5
    let configuration = NetworkConfiguration(
        name: "net", iceServers: [ICEServerConfiguration(urls: ["stun:example.org:3478", "turn:example.org"], username: "u", credential: "c")],
        space: .sphere(radius: 6_371_000), routing: routing, kvs: kvsSettings)
    let offer = SignalPayload(sessionID: 42, kind: .offer(sdp: "v=0\r\na=fingerprint:\(helloFingerprint)\r\nm=application 9\r\n"))
    let candidate = SignalPayload(
        sessionID: 42, kind: .candidate(candidate: "candidate:1 1 udp 1 10.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0))
    let ballot = KVSBallot(counter: 3, node: a)
    let register = KVSRegister(version: 2, bytes: [9, 9], recentWrites: [KVSWriteTag(node: b, operation: 5, version: 2)])
    let messageID = SpreadMessageID(origin: a, sequence: 7)
    let forward = SpreadForward(
        id: messageID, topic: "t", center: Position(x: 10, y: 10), radius: 5, senderPosition: Position(x: 11, y: 9),
        payload: [1, 2, 3], announcedSize: 0, wantReceipt: true, hops: 1, covered: [b])
    let announce = GeoAnnounce(
        position: VersionedPosition(position: Position(x: 12, y: 8), version: 2),
        neighbours: [b: VersionedPosition(position: Position(x: 3, y: 4), version: 1)], wantReply: true, sequence: 5,
        representative: GeoNodeEntry(id: a, position: VersionedPosition(position: Position(x: 12, y: 8), version: 2)))
    let bodies: [OverlayBody] = [
        .linkState(LinkState(role: .neighbour, successors: [a], predecessors: [b])),
        .ownerQuery, .ownerReply(OwnerReply(owner: a, successors: [b], predecessors: [a])), .keepalive,
        .livenessQuery(LivenessQuery(subject: a)), .livenessReport(LivenessReport(subject: b, heardMillisecondsAgo: 0)),
        .message(ApplicationMessage(name: "fuzz", payload: [1, 2])), .reply([3]),
        .failure(DeliveryFailure(code: .handlerFailed, detail: "no")),
        .spread(SpreadPacket.forward(forward).encoded()),
        .kvs(KVSEnvelope.consensus(.prepare(key: "k", request: 1, ballot: ballot)).encoded()),
        .signal(SignedSignal(certificate: certificate, signal: offer, signature: signature)),
    ]
    switch target {
    case .seedFrame, .controller:
        let frames: [SeedFrame] = [
            .signIn(SignInRequest(network: "net", token: "secret", publicKey: key, resume: resume)),
            .renewCertificate, .signal(to: b, payload: offer), .keepalive(nonce: 77), .findPeers,
            .challenge(nonce: [UInt8](repeating: 1, count: 16)),
            .signedIn(SignInResponse(
                nodeID: a, certificate: certificate, seedPublicKey: key, configuration: configuration,
                bootstrapPeers: [b], keepaliveIntervalMilliseconds: 10_000)),
            .certificateRenewed(certificate, iceServers: configuration.iceServers),
            .relayedSignal(from: a, payload: candidate), .error(SeedErrorMessage(code: .unknownPeer, message: "gone", peer: b, sessionID: 42)),
            .keepaliveAck(nonce: 77), .peersFound([a, b]),
        ]
        guard target == .controller else { return frames.map { $0.encoded() } }
        // The seed's frames in the order a node meets them: challenge, signed in, then the rest.
        let seedFrames = frames.filter { !$0.isClientFrame }.map { $0.encoded() }
        return [frameScriptBytes(Array(seedFrames.prefix(2))), frameScriptBytes(seedFrames)]
    case .certificate:
        return [certificate.encoded(), resume.encoded(),
                SignInRequest(network: "net", token: "secret", publicKey: key, resume: resume).encoded()]
    case .linkHello:
        return [LinkHello(certificate: helloCertificate, signature: signature).encoded(),
                LinkHello(certificate: certificate, signature: signature).encoded()]
    case .signal:
        return [offer.encoded(), candidate.encoded(), SignalPayload(sessionID: 1, kind: .answer(sdp: "a=fingerprint:sha-1 00:FF\n")).encoded()]
    case .config:
        return [configuration.encoded(), NetworkConfiguration(name: "p", space: .torus(width: 10, height: 20)).encoded()]
    case .overlayPacket:
        return [
            OverlayPacket(destination: a, mode: .toOwnerOf, source: b, hopCount: 3, packetID: 5, requestID: 6, body: bodies[1].encoded()).encoded(),
            OverlayPacket(destination: a, mode: .toNode, source: b, packetID: 5, requestID: 6, isResponse: true,
                          fragmentIndex: 1, fragmentCount: 3, body: [UInt8](repeating: 4, count: 16)).encoded(),
        ]
    case .overlayBody:
        return bodies.map { $0.encoded() }
    case .kvs:
        let envelopes: [KVSEnvelope] = [
            .consensus(.prepare(key: "k", request: 1, ballot: ballot)),
            .consensus(.promise(key: "k", request: 1, ballot: ballot, accepted: ballot, register: register)),
            .consensus(.accept(key: "k", request: 2, ballot: ballot, register: register)),
            .consensus(.accepted(key: "k", request: 2, ballot: ballot)),
            .consensus(.reject(key: "k", request: 2, ballot: ballot, promised: KVSBallot(counter: 4, node: b))),
            .request(KVSClientRequest(operation: 1, key: "k", command: .put([1], condition: .ifVersion(2)))),
            .request(KVSClientRequest(operation: 2, key: "k", command: .delete(condition: .ifPresent))),
            .request(KVSClientRequest(operation: 3, key: "k", command: .get)),
            .response(.success(KVSValue(bytes: [1], version: 2))), .response(.failure(.conditionFailed(currentVersion: 3))),
            .response(.failure(.valueTooLarge(limit: 10))),
        ]
        return envelopes.map { $0.encoded() }
    case .spread:
        let packets: [SpreadPacket] = [
            .announce(announce), .forward(forward), .receipt(SpreadReceipt(id: messageID, outcome: .received)),
            .fetch(messageID), .payload(SpreadPayload(id: messageID, found: true, payload: [5, 6])),
        ]
        return packets.map { $0.encoded() }
    case .reassembly:
        // Limits byte, then: two fragments of one body, a split body in shuffled order, time passing.
        return [[0x4A, 0, 1, 2, 3, 0, 8, 0, 1, 2, 3, 1, 4, 6, 40, 3, 1, 2, 5, 200], [0x0F, 6, 200, 1, 2, 3, 4, 5, 6, 7]]
    case .node:
        func frames(_ packets: [OverlayPacket]) -> [UInt8] { frameScriptBytes(packets.map { $0.encoded() }) }
        let fromPeer = { (body: OverlayBody, mode: RoutingMode, requestID: UInt64) in
            OverlayPacket(destination: nodeLocal, mode: mode, source: nodePeer, packetID: requestID + 100,
                          requestID: requestID, body: body.encoded())
        }
        let big = OverlayBody.message(ApplicationMessage(name: "fuzz", payload: [UInt8](repeating: 1, count: 400))).encoded()
        let pieces = Fragmenter.split(big, fragmentBytes: 256)
        let fragments = pieces.indices.map { index in
            OverlayPacket(destination: nodeLocal, mode: .toNode, source: nodePeer, packetID: 500, requestID: 77,
                          fragmentIndex: UInt32(index), fragmentCount: UInt32(pieces.count), body: pieces[index])
        }
        return [
            frames([fromPeer(bodies[0], .toNeighbour, 0), fromPeer(bodies[1], .toOwnerOf, 1), fromPeer(bodies[4], .toNeighbour, 0)]),
            frames([fromPeer(bodies[6], .toNode, 2), fromPeer(bodies[6], .toNode, 0), fromPeer(bodies[5], .toNeighbour, 0)]),
            frames(fragments + [fromPeer(bodies[10], .toOwnerOf, 3), fromPeer(bodies[9], .toNode, 4), fromPeer(bodies[11], .toNode, 0)]),
            frames([OverlayPacket(destination: NodeID(high: 0x2000_0000_0000_0000, low: 0), mode: .toNode, source: nodePeer,
                                  packetID: 9, requestID: 10, body: bodies[6].encoded())]),
        ]
    }
}

func writeCorpus(to directory: String) {
    for target in FuzzTarget.allCases {
        let folder = directory + "/" + target.rawValue
        mkdir(folder, 0o755)
        for (index, bytes) in corpus(for: target).enumerated() {
            let path = folder + "/seed-" + String(index)
            guard let file = fopen(path, "wb") else { fatalError("cannot write \(path)") }
            _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
            fclose(file)
        }
    }
}
