#if !hasFeature(Embedded)
// Natively the browser shell is its own module (`ColonioBrowser`); the wasm build compiles it into the core.
import ColonioCore
#endif

// What the browser node asks its JavaScript shell to do. The output of every call is a sequence of
// commands in the core's wire format: field number = command kind, value = the command's fields as a
// nested message. `Web/colonio.js` decodes them (field numbers listed there as `Command`).

/// Kinds of commands, as wire field numbers of the output buffer.
enum ShellCommand: UInt32 {
    /// Send `1: bytes` as one binary WebSocket frame to the seed.
    case seedSend = 1
    /// Signed in: `1: nodeID, 2: seedPublicKey, 3: keepaliveMs, 4: iceServer*, 5: space kind, 6: width,
    /// 7: height, 8: maximumLinks, 9: network`.
    case signedIn = 2
    /// The seed refused the sign-in: `1: code, 2: message`.
    case signInFailed = 3
    /// Create a peer connection: `1: peer, 2: session, 3: offerer, 4: remote offer SDP (answerer)`.
    case openLink = 4
    /// Apply the peer's answer: `1: peer, 2: session, 3: sdp`.
    case remoteAnswer = 5
    /// Add the peer's ICE candidate: `1: peer, 2: session, 3: candidate, 4: sdpMid, 5: sdpMLineIndex`.
    case remoteCandidate = 6
    /// Close the peer connection: `1: peer, 2: session`.
    case closeLink = 7
    /// Send `3: bytes` as one (fragmented) message on the link: `1: peer, 2: session`.
    case linkSend = 8
    /// Sign `3: bytes` with the node's key, put the signature into the last 64 bytes of `4: frame`,
    /// then send the frame on the link like ``linkSend`` (before any later frame): `1: peer, 2: session`.
    case signAndSend = 9
    /// Verify the peer's hello, then report ``BrowserInput/linkVerified``: `1: peer, 2: session,
    /// 3: certificate signed bytes, 4: certificate signature, 5: hello signed bytes, 6: hello signature,
    /// 7: peer public key, 8: seed public key` (see ``writeCertifiedSignature(_:to:)``).
    case verifyHello = 10
    /// An application message or request: `1: source, 2: name, 3: payload, 4: hops, 5: reply ID (requests)`.
    case message = 11
    /// A request finished: `1: id, 2: ok, 3: payload, 4: failure kind, 5: detail`.
    case requestDone = 12
    /// A pub/sub message: `1: topic, 2: payload, 3: sender, 4: sender x, 5: sender y, 6: centre x,
    /// 7: centre y, 8: radius, 9: hops`.
    case spread = 13
    /// A publication with `requireReceiver` finished: `1: id, 2: error kind (absent = delivered)`.
    case publishDone = 14
    /// A KVS operation finished: `1: id, 2: ok, 3: has value, 4: bytes, 5: version, 6: error kind,
    /// 7: current version + 1 (0 = none) or limit`.
    case kvsDone = 15
    /// The value of the call: `1: id`.
    case result = 16
    /// The call failed: `1: kind, 2: message`.
    case error = 17
    /// A snapshot: `1: nodeID, 2: linked peer*, 3: has position, 4: x, 5: y, 6: neighbour* {1: id, 2: x, 3: y}`.
    case state = 18
    /// Bytes for tests and tools: `1: bytes`.
    case bytes = 19
    /// A diagnostic line for the console: `1: text`.
    case log = 20
    /// ICE servers for peer connections made from now on (renewed TURN credentials): `1: iceServer*`.
    case iceServers = 21
    /// Sign `1: bytes` with the node's key, put the signature into the last 64 bytes of `2: frame`, then
    /// send the frame to the seed like ``seedSend``.
    case seedSignAndSend = 22
    /// The seed took the node back under its ID after a reconnection (no fields).
    case seedRestored = 23
    /// Open a new WebSocket to the seed (the last one was lost); once open, call ``BrowserInput/resume``,
    /// and ``BrowserInput/seedClosed`` if it fails (no fields).
    case connectToSeed = 24
    /// Sign `2: bytes` with the node's key, then report ``BrowserInput/signalSigned``: `1: id`.
    case signSignal = 25
    /// Verify a signal from the overlay, then report ``BrowserInput/signalVerified``: `1: id`, and fields
    /// 3-8 as in ``verifyHello`` (certificate signed bytes and signature, signal signed bytes and signature,
    /// sender public key, seed public key).
    case verifySignal = 26
}

/// Fields 3-8 of ``ShellCommand/verifyHello`` and ``ShellCommand/verifySignal``: the two signatures to check.
func writeCertifiedSignature(_ check: CertifiedSignature, to fields: inout WireWriter) {
    fields.write(field: 3, bytes: check.certificateBytes)
    fields.write(field: 4, bytes: check.certificateSignature)
    fields.write(field: 5, bytes: check.signedBytes)
    fields.write(field: 6, bytes: check.signature)
    fields.write(field: 7, bytes: check.signerPublicKey)
    fields.write(field: 8, bytes: check.seedPublicKey)
}

/// Accumulates the commands of one call.
struct ShellOutput {
    private(set) var writer = WireWriter()

    /// Appends one command whose fields `build` writes.
    mutating func emit(_ kind: ShellCommand, _ build: (inout WireWriter) -> Void) {
        var fields = WireWriter()
        build(&fields)
        writer.write(field: kind.rawValue, bytes: fields.bytes)
    }

    mutating func log(_ text: String) {
        emit(.log) { $0.write(field: 1, string: text) }
    }

    mutating func fail(_ kind: String, _ message: String) {
        emit(.error) {
            $0.write(field: 1, string: kind)
            $0.write(field: 2, string: message)
        }
    }

    mutating func result(_ id: UInt64) {
        emit(.result) { $0.write(field: 1, uint64: id) }
    }

    mutating func reset() {
        writer = WireWriter()
    }
}
