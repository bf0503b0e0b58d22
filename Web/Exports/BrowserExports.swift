#if !hasFeature(Embedded)
// Natively the browser shell is its own module (`ColonioBrowser`); the wasm build compiles it into the core.
import ColonioCore
#endif

// The byte-buffer ABI between colonio.wasm and Web/colonio.js.
//
// JavaScript asks for input memory with `colonio_alloc(length)`, writes an input message there (the
// core's wire format; fields per operation below, as `BrowserInput`), calls
// `colonio_call(operation, pointer, length, nowMilliseconds, unixSeconds)` and frees the input. The call
// returns 0, or -1 when the input did not decode. Its commands (see `ShellCommand`) are then at
// `colonio_output_pointer()` for `colonio_output_length()` bytes, valid until the next call. One module
// instance is one node.

/// Operations of `colonio_call`, with their input fields.
enum BrowserInput: Int32 {
    /// `1: random seed, 2: first peer-search delay ms, 3: longest delay ms (also the seed-return grace / 2)`:
    /// creates the node (also discards an old one).
    case create = 0
    /// `1: network, 2: token, 3: public key`: the WebSocket to the seed is open.
    case signIn = 1
    /// `1: bytes`: a binary frame from the seed.
    case seedFrame = 2
    /// A keepalive to the seed is due.
    case keepalive = 3
    /// The WebSocket closed, or could not be opened after ``ShellCommand/connectToSeed``.
    case seedClosed = 4
    /// The protocol timers.
    case tick = 5
    /// `1: peer, 2: session, 3: sdp`: the local description of a link.
    case linkDescription = 6
    /// `1: peer, 2: session, 3: candidate, 4: sdpMid, 5: sdpMLineIndex`.
    case linkCandidate = 7
    /// `1: peer, 2: session`: the data channel opened.
    case linkOpen = 8
    /// `1: peer, 2: session, 3: bytes`: a whole message from the data channel.
    case linkFrame = 9
    /// `1: peer, 2: session, 3: valid`: the result of ``ShellCommand/verifyHello``.
    case linkVerified = 10
    /// `1: peer, 2: session`: the peer connection failed or closed.
    case linkClosed = 11
    /// `1: name, 2: registered`.
    case handle = 12
    /// `1: name, 2: payload, 3: node, 4: owner-of key`: a one-way message.
    case send = 13
    /// As ``send``; the result is the request ID of the later ``ShellCommand/requestDone``.
    case request = 14
    /// `1: reply ID, 2: payload, 3: failure detail (when failed)`.
    case respond = 15
    /// `1: x, 2: y`.
    case setPosition = 16
    /// `1: topic, 2: subscribed`.
    case subscribe = 17
    /// `1: topic, 2: payload, 3: x, 4: y, 5: radius, 6: deliver to self, 7: require receiver`;
    /// the result is the ID of the later ``ShellCommand/publishDone`` (0 without `requireReceiver`).
    case publish = 18
    /// `1: key, 2: 0 get / 1 put / 2 delete, 3: value, 4: condition 0 none / 1 absent / 2 present / 3 version,
    /// 5: version`; the result is the ID of the later ``ShellCommand/kvsDone``.
    case kvs = 19
    /// Emits ``ShellCommand/state``.
    case state = 20
    /// Leaves the network.
    case stop = 21
    /// Tests: `1: network, 2: node, 3: public key, 4: expiry`: the certificate's signed bytes as ``ShellCommand/bytes``.
    case testCertificateBytes = 22
    /// Tests: `1: node, 2: public key, 3: expiry, 4: certificate signature, 5: seed public key, 6: network,
    /// 7: bootstrap peer*, 8: maximum links (0: default)`: a seed `signedIn` frame (plane 100 x 100, otherwise
    /// the default configuration) as ``ShellCommand/bytes``.
    case testSignedInFrame = 23
    /// Tests: `1: sender, 2: bytes of a client `signal` frame`: the `relayedSignal` frame the seed would
    /// deliver, then the destination, as two ``ShellCommand/bytes``.
    case testRelay = 24
    /// `1: token, 2: public key`: a new WebSocket to the seed is open after the last one closed; sign in
    /// again under the node's ID.
    case resume = 25
    /// Tests: `1: network, 2: node, 3: unix seconds`: the bytes a resume claim signs, as ``ShellCommand/bytes``.
    case testResumeBytes = 26
    /// `1: id, 2: signature (empty: signing failed)`: the result of ``ShellCommand/signSignal``.
    case signalSigned = 27
    /// `1: id, 2: valid`: the result of ``ShellCommand/verifySignal``.
    case signalVerified = 28
}

/// Every field of one input message, by number (the ABI's messages are small and flat).
struct InputFields {
    private var varints: [UInt32: UInt64] = [:]
    private var fixed: [UInt32: UInt64] = [:]
    private var blobs: [UInt32: [[UInt8]]] = [:]

    init(_ bytes: [UInt8]) throws(WireDecodingError) {
        var reader = WireReader(bytes)
        while let field = try reader.nextField() {
            switch field.type {
            case .varint: varints[field.number] = try reader.readVarint()
            case .fixed64: fixed[field.number] = try reader.readFixed64(field)
            case .lengthDelimited: blobs[field.number, default: []].append(try reader.readBytes(field, limit: 1 << 26))
            case .fixed32: try reader.skip(field)
            }
        }
    }

    func uint(_ number: UInt32) -> UInt64 { varints[number] ?? 0 }
    func has(_ number: UInt32) -> Bool { varints[number] != nil || fixed[number] != nil || blobs[number] != nil }
    func bool(_ number: UInt32) -> Bool { uint(number) != 0 }
    func double(_ number: UInt32) -> Double { Double(bitPattern: fixed[number] ?? 0) }
    func bytes(_ number: UInt32) -> [UInt8] { blobs[number]?.first ?? [] }
    func all(_ number: UInt32) -> [[UInt8]] { blobs[number] ?? [] }
    func string(_ number: UInt32) -> String { String(decoding: bytes(number), as: UTF8.self) }
    func optionalString(_ number: UInt32) -> String? { blobs[number].map { String(decoding: $0[0], as: UTF8.self) } }

    func node(_ number: UInt32) -> NodeID? {
        Self.nodeID(bytes(number))
    }

    static func nodeID(_ bytes: [UInt8]) -> NodeID? {
        guard bytes.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for index in 0..<8 {
            high = high << 8 | UInt64(bytes[index])
            low = low << 8 | UInt64(bytes[8 + index])
        }
        return NodeID(high: high, low: low)
    }
}

nonisolated(unsafe) private var shell = BrowserShell(randomSeed: 1, settings: NodeControllerSettings())
nonisolated(unsafe) private var output = ShellOutput()
nonisolated(unsafe) private var outputBytes: [UInt8] = []

/// Reserves `length` bytes of input memory for JavaScript to write into.
@_cdecl("colonio_alloc")
public func colonioAlloc(_ length: Int32) -> UnsafeMutableRawPointer? {
    UnsafeMutableRawPointer.allocate(byteCount: Int(max(1, length)), alignment: 16)
}

/// Releases memory from ``colonioAlloc(_:)``.
@_cdecl("colonio_free")
public func colonioFree(_ pointer: UnsafeMutableRawPointer?) {
    pointer?.deallocate()
}

/// Where the last call's commands are.
@_cdecl("colonio_output_pointer")
public func colonioOutputPointer() -> UnsafeRawPointer? {
    outputBytes.withUnsafeBytes { $0.baseAddress }
}

/// How many bytes of commands the last call produced.
@_cdecl("colonio_output_length")
public func colonioOutputLength() -> Int32 {
    Int32(outputBytes.count)
}

/// Runs one operation of the browser node; see the top of this file.
@_cdecl("colonio_call")
public func colonioCall(
    _ operation: Int32, _ pointer: UnsafeRawPointer?, _ length: Int32, _ nowMilliseconds: Double, _ unixSeconds: Double
) -> Int32 {
    let input = pointer.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(length))) } ?? []
    output.reset()
    let now = MonotonicTime(milliseconds: nowMilliseconds > 0 ? UInt64(nowMilliseconds) : 0)
    let status: Int32
    if let fields = try? InputFields(input), let known = BrowserInput(rawValue: operation) {
        run(known, fields, now: now, unixSeconds: unixSeconds > 0 ? UInt64(unixSeconds) : 0)
        status = 0
    } else {
        status = -1
    }
    outputBytes = output.writer.bytes
    return status
}

private func run(_ operation: BrowserInput, _ fields: InputFields, now: MonotonicTime, unixSeconds: UInt64) {
    var actions: [NodeAction] = []
    defer { BrowserShell.write(actions, to: &output) }
    switch operation {
    case .create:
        let settings = fields.has(2)
            ? NodeControllerSettings(peerSearchFirstDelayMilliseconds: fields.uint(2), peerSearchMaximumDelayMilliseconds: fields.uint(3))
            : NodeControllerSettings()
        shell = BrowserShell(randomSeed: fields.uint(1), settings: settings)
    case .signIn, .seedFrame, .keepalive, .seedClosed, .resume, .tick:
        actions = runSeedEvent(operation, fields, now: now, unixSeconds: unixSeconds)
    case .linkDescription, .linkCandidate, .linkOpen, .linkFrame, .linkVerified, .linkClosed:
        guard let peer = fields.node(1) else { return output.fail("invalidInput", "peer") }
        actions = runLinkEvent(operation, fields, peer: peer, now: now, unixSeconds: unixSeconds)
    case .signalSigned:
        actions = shell.controller.signalSigned(id: fields.uint(1), signature: fields.bytes(2), now: now)
    case .signalVerified:
        actions = shell.controller.signalVerified(id: fields.uint(1), valid: fields.bool(2), now: now)
    case .handle, .send, .request, .respond, .setPosition, .subscribe, .publish, .kvs:
        actions = runApplicationCall(operation, fields, now: now)
    case .state:
        shell.state(out: &output)
    case .stop:
        actions = shell.controller.stop(now: now)
    case .testCertificateBytes, .testSignedInFrame, .testResumeBytes, .testRelay:
        runTestHelper(operation, fields)
    }
}

/// The seed connection's events and the timer.
private func runSeedEvent(_ operation: BrowserInput, _ fields: InputFields, now: MonotonicTime, unixSeconds: UInt64) -> [NodeAction] {
    switch operation {
    case .signIn:
        do {
            return try shell.controller.signIn(network: fields.string(1), token: fields.string(2), publicKey: fields.bytes(3))
        } catch {
            BrowserShell.fail(error, out: &output)
            return []
        }
    case .seedFrame:
        return shell.controller.seedBytes(fields.bytes(1), now: now, unixSeconds: unixSeconds)
    case .keepalive:
        return shell.controller.seedConnected ? [.sendToSeed(.keepalive(nonce: 0))] : []
    case .seedClosed:
        return shell.controller.seedClosed(now: now)
    case .resume:
        return shell.controller.seedReopened(token: fields.string(1), publicKey: fields.bytes(2), unixSeconds: unixSeconds)
    case .tick:
        return shell.controller.tick(now: now, unixSeconds: unixSeconds)
    default:
        return []
    }
}

/// A peer connection's events, for the link of `peer` numbered field 2.
private func runLinkEvent(
    _ operation: BrowserInput, _ fields: InputFields, peer: NodeID, now: MonotonicTime, unixSeconds: UInt64
) -> [NodeAction] {
    switch operation {
    case .linkDescription:
        return shell.controller.localDescription(fields.string(3), peer: peer, session: fields.uint(2), now: now)
    case .linkCandidate:
        let candidate = ICECandidateLine(
            candidate: fields.string(3), sdpMid: fields.optionalString(4),
            sdpMLineIndex: fields.has(5) ? UInt32(truncatingIfNeeded: fields.uint(5)) : nil)
        return shell.controller.localCandidate(candidate, peer: peer, session: fields.uint(2), now: now)
    case .linkOpen:
        return shell.controller.linkOpened(peer: peer, session: fields.uint(2), now: now)
    case .linkFrame:
        return shell.controller.linkFrame(fields.bytes(3), peer: peer, session: fields.uint(2), now: now, unixSeconds: unixSeconds)
    case .linkVerified:
        return shell.controller.helloVerified(peer: peer, session: fields.uint(2), valid: fields.bool(3), now: now)
    case .linkClosed:
        return shell.controller.linkClosed(peer: peer, session: fields.uint(2), now: now)
    default:
        return []
    }
}

/// The application's calls: handlers, messaging, position, pub/sub, KVS.
private func runApplicationCall(_ operation: BrowserInput, _ fields: InputFields, now: MonotonicTime) -> [NodeAction] {
    var actions: [NodeAction] = []
    switch operation {
    case .handle:
        shell.controller.setHandler(fields.string(1), registered: fields.bool(2))
    case .send, .request:
        let destination: Destination
        if let node = fields.node(3) {
            destination = .node(node)
        } else {
            destination = .ownerOf(KVSPlacement.position(ofKey: KVSKey(fields.string(4))))
        }
        let name = fields.string(1)
        do {
            if operation == .send {
                actions = try shell.controller.send(name: name, payload: fields.bytes(2), to: destination, now: now)
            } else {
                let started = try shell.controller.request(name: name, payload: fields.bytes(2), to: destination, now: now)
                output.result(started.requestID)
                actions = started.actions
            }
        } catch {
            BrowserShell.fail(error, name: name, out: &output)
        }
    case .respond:
        if let failure = fields.optionalString(3) {
            let code: DeliveryFailure.Code = failure.utf8.elementsEqual("noHandler".utf8) ? .noHandler : .handlerFailed
            actions = shell.controller.respond(
                replyID: fields.uint(1), failure: DeliveryFailure(code: code, detail: failure), now: now)
        } else {
            actions = shell.controller.respond(replyID: fields.uint(1), payload: fields.bytes(2), now: now)
        }
    case .setPosition:
        do {
            actions = try shell.controller.setPosition(Position(x: fields.double(1), y: fields.double(2)), now: now)
        } catch {
            BrowserShell.fail(error, out: &output)
        }
    case .subscribe:
        shell.controller.setSubscribed(fields.string(1), fields.bool(2))
    case .publish:
        do {
            let published = try shell.controller.publish(
                topic: fields.string(1), payload: fields.bytes(2), center: Position(x: fields.double(3), y: fields.double(4)),
                radius: fields.double(5),
                options: SpreadOptions(deliverToSelf: fields.bool(6), requireReceiver: fields.bool(7)), now: now)
            output.result(published.id)
            actions = published.actions
        } catch {
            BrowserShell.fail(error, out: &output)
        }
    case .kvs:
        let condition: KVSCondition = switch fields.uint(4) {
        case 1: .ifAbsent
        case 2: .ifPresent
        case 3: .ifVersion(fields.uint(5))
        default: KVSCondition.none
        }
        let command: KVSCommand = switch fields.uint(2) {
        case 1: .put(fields.bytes(3), condition: condition)
        case 2: .delete(condition: condition)
        default: .get
        }
        do {
            let started = try shell.controller.kvs(command, key: fields.string(1), now: now)
            output.result(started.operation.rawValue)
            actions = started.actions
        } catch {
            BrowserShell.fail(error, out: &output)
        }
    default:
        break
    }
    return actions
}

/// Byte builders for the browser tests (certificates, frames a seed would send).
private func runTestHelper(_ operation: BrowserInput, _ fields: InputFields) {
    switch operation {
    case .testCertificateBytes:
        guard let node = fields.node(2) else { return output.fail("invalidInput", "node") }
        let certificate = NodeCertificate(network: fields.string(1), nodeID: node, publicKey: fields.bytes(3), expiry: fields.uint(4))
        output.emit(.bytes) { $0.write(field: 1, bytes: certificate.signedBytes) }
    case .testSignedInFrame:
        guard let node = fields.node(1) else { return output.fail("invalidInput", "node") }
        let network = fields.string(6)
        let certificate = NodeCertificate(
            network: network, nodeID: node, publicKey: fields.bytes(2), expiry: fields.uint(3), signature: fields.bytes(4))
        var configuration = NetworkConfiguration(name: network, space: .plane(width: 100, height: 100))
        configuration.routing.requestTimeoutMilliseconds = 2_000
        if fields.uint(8) > 0 { configuration.routing.maximumLinks = UInt32(truncatingIfNeeded: fields.uint(8)) }
        let response = SignInResponse(
            nodeID: node, certificate: certificate, seedPublicKey: fields.bytes(5), configuration: configuration,
            bootstrapPeers: fields.all(7).compactMap(InputFields.nodeID), keepaliveIntervalMilliseconds: 10_000)
        output.emit(.bytes) { $0.write(field: 1, bytes: SeedFrame.signedIn(response).encoded()) }
    case .testResumeBytes:
        guard let node = fields.node(2) else { return output.fail("invalidInput", "node") }
        let certificate = NodeCertificate(network: fields.string(1), nodeID: node, publicKey: [], expiry: 0)
        output.emit(.bytes) { $0.write(field: 1, bytes: SignInResume(certificate: certificate, unixSeconds: fields.uint(3), challenge: fields.bytes(4)).signedBytes) }
    case .testRelay:
        guard let sender = fields.node(1), let frame = try? SeedFrame(decoding: fields.bytes(2)),
              case .signal(let to, let payload) = frame else { return output.fail("invalidInput", "not a signal frame") }
        output.emit(.bytes) { $0.write(field: 1, bytes: SeedFrame.relayedSignal(from: sender, payload: payload).encoded()) }
        output.emit(.bytes) { $0.write(field: 1, nodeID: to) }
    default:
        break
    }
}
