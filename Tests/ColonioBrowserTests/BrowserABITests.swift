import ColonioBrowser
import ColonioCore
import Testing

/// The wasm ABI of the browser node, called natively: the same `colonio_call` that `colonio.js` calls in
/// the browser (`Web/browser-node.test.mjs` runs it as WebAssembly). One module instance is one node, so
/// the calls run one after another.
@Suite(.serialized) struct BrowserABITests {
    /// Runs one operation; returns its status and output commands as (kind, fields).
    private func call(_ operation: Int32, _ build: (inout WireWriter) -> Void = { _ in }) throws -> (Int32, [(UInt32, [UInt8])]) {
        var input = WireWriter()
        build(&input)
        let bytes = input.bytes
        let status = bytes.withUnsafeBytes { colonioCall(operation, $0.baseAddress, Int32($0.count), 1_000, 1_800_000_000) }
        let output = Array(UnsafeRawBufferPointer(start: colonioOutputPointer(), count: Int(colonioOutputLength())))
        var reader = WireReader(output)
        var commands: [(UInt32, [UInt8])] = []
        while let field = try reader.nextField() {
            commands.append((field.number, try reader.readBytes(field, limit: 1 << 20)))
        }
        return (status, commands)
    }

    @Test func aNodeSignsInAndOffersALinkToItsBootstrapPeer() throws {
        let node = NodeID(high: 1, low: 2)
        let peer = NodeID(high: 3, low: 4)
        _ = try call(0) { $0.write(field: 1, uint64: 7) }
        let (signInStatus, signIn) = try call(1) {
            $0.write(field: 1, string: "game")
            $0.write(field: 2, string: "token")
            $0.write(field: 3, bytes: [UInt8](repeating: 5, count: 32))
        }
        #expect(signInStatus == 0)
        #expect(signIn.map(\.0) == [1])  // seedSend
        var seedSend = WireReader(signIn[0].1)
        let field = try #require(try seedSend.nextField())
        guard case .signIn(let request) = try SeedFrame(decoding: try seedSend.readBytes(field, limit: 1 << 20)) else {
            Issue.record("not a sign-in")
            return
        }
        #expect(request.network == "game" && request.token == "token")

        let certificate = NodeCertificate(
            network: "game", nodeID: node, publicKey: [UInt8](repeating: 5, count: 32), expiry: 1_900_000_000,
            signature: [UInt8](repeating: 0, count: 64))
        let response = SignInResponse(
            nodeID: node, certificate: certificate, seedPublicKey: [UInt8](repeating: 9, count: 32),
            configuration: NetworkConfiguration(name: "game"), bootstrapPeers: [peer], keepaliveIntervalMilliseconds: 10_000)
        let (status, commands) = try call(2) { $0.write(field: 1, bytes: SeedFrame.signedIn(response).encoded()) }
        #expect(status == 0)
        // signedIn, then openLink to the bootstrap peer as the offerer.
        #expect(commands.map(\.0).prefix(2) == [2, 4])
        var open = WireReader(commands[1].1)
        var openedPeer: NodeID?
        var offerer = false
        while let field = try open.nextField() {
            switch field.number {
            case 1: openedPeer = try open.readNodeID(field)
            case 3: offerer = try open.readVarint() != 0
            default: try open.skip(field)
            }
        }
        #expect(openedPeer == peer && offerer)
        _ = try call(21)
    }

    @Test func undecodableInputAndUnknownOperationsAreRefused() throws {
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF]
        let status = garbage.withUnsafeBytes { colonioCall(2, $0.baseAddress, Int32($0.count), 0, 0) }
        #expect(status == -1)
        #expect(try call(999).0 == -1)
        // A call that needs a signed-in node fails with a typed error, not a crash.
        let (sendStatus, commands) = try call(13) { $0.write(field: 1, string: "echo") }
        #expect(sendStatus == 0)
        #expect(commands.map(\.0) == [17])  // error: notConnected
    }
}
