#if !hasFeature(Embedded)
// Natively the browser shell is its own module (`ColonioBrowser`); the wasm build compiles it into the core.
import ColonioCore
#endif

/// The browser node's half in WebAssembly: runs the core's ``NodeController`` (the same rules as the
/// native node) and writes its ``NodeAction``s as ``ShellCommand``s for `colonio.js`, which only does
/// I/O (WebSocket, RTCPeerConnection, WebCrypto, timers). Nothing here decides anything.
struct BrowserShell {
    var controller: NodeController

    init(randomSeed: UInt64, settings: NodeControllerSettings) {
        controller = NodeController(settings: settings, randomSeed: randomSeed)
    }

    /// Writes `actions` as commands, in order.
    static func write(_ actions: [NodeAction], to out: inout ShellOutput) {
        for action in actions { write(action, to: &out) }
    }

    static func write(_ action: NodeAction, to out: inout ShellOutput) {
        switch action {
        case .sendToSeed, .signAndSendResume, .signedIn, .signInFailed, .seedRestored, .connectToSeed, .useICEServers:
            writeSeedAction(action, to: &out)
        case .openLink, .applyAnswer, .addCandidate, .closeLink, .sendFrame, .signAndSendFrame, .verifyHello:
            writeLinkAction(action, to: &out)
        case .signSignal(let id, let signedBytes):
            out.emit(.signSignal) {
                $0.write(field: 1, uint64: id)
                $0.write(field: 2, bytes: signedBytes)
            }
        case .verifySignal(let id, let check):
            out.emit(.verifySignal) {
                $0.write(field: 1, uint64: id)
                writeCertifiedSignature(check, to: &$0)
            }
        case .deliverMessage, .requestCompleted, .deliverSpread, .publishCompleted, .kvsCompleted:
            writeApplicationAction(action, to: &out)
        case .log(let level, let text):
            if level != .debug { out.log(text) }
        }
    }

    /// The seed connection's actions.
    private static func writeSeedAction(_ action: NodeAction, to out: inout ShellOutput) {
        switch action {
        case .sendToSeed(let frame):
            out.emit(.seedSend) { $0.write(field: 1, bytes: frame.encoded()) }
        case .signAndSendResume(let signedBytes, let request):
            // The claim's signature is the sign-in's last field: the shell puts it into the last 64 bytes.
            out.emit(.seedSignAndSend) {
                $0.write(field: 1, bytes: signedBytes)
                $0.write(field: 2, bytes: SeedFrame.signIn(request).encoded())
            }
        case .signedIn(let response):
            writeSignedIn(response, to: &out)
        case .signInFailed(let error):
            out.emit(.signInFailed) {
                $0.write(field: 1, uint64: UInt64(error.code.rawValue))
                $0.write(field: 2, string: error.message)
            }
        case .seedRestored:
            out.emit(.seedRestored) { _ in }
        case .connectToSeed:
            out.emit(.connectToSeed) { _ in }
        case .useICEServers(let servers):
            out.emit(.iceServers) { fields in
                for server in servers { fields.write(field: 1, message: server) }
            }
        default:
            break
        }
    }

    /// Peer connections' actions.
    private static func writeLinkAction(_ action: NodeAction, to out: inout ShellOutput) {
        switch action {
        case .openLink(let peer, let session, let remoteOffer):
            out.emit(.openLink) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: session)
                $0.write(field: 3, bool: remoteOffer == nil)
                if let remoteOffer { $0.write(field: 4, string: remoteOffer) }
            }
        case .applyAnswer(let peer, let session, let sdp):
            out.emit(.remoteAnswer) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: session)
                $0.write(field: 3, string: sdp)
            }
        case .addCandidate(let peer, let session, let candidate):
            out.emit(.remoteCandidate) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: session)
                $0.write(field: 3, string: candidate.candidate)
                if let sdpMid = candidate.sdpMid { $0.write(field: 4, string: sdpMid) }
                if let index = candidate.sdpMLineIndex { $0.write(field: 5, uint64: UInt64(index)) }
            }
        case .closeLink(let peer, let session):
            out.emit(.closeLink) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: session)
            }
        case .sendFrame(let peer, let session, let frame):
            out.emit(.linkSend) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: session)
                $0.write(field: 3, bytes: frame)
            }
        case .signAndSendFrame(let peer, let session, let signedBytes, let frame):
            out.emit(.signAndSend) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: session)
                $0.write(field: 3, bytes: signedBytes)
                $0.write(field: 4, bytes: frame)
            }
        case .verifyHello(let peer, let session, let check):
            out.emit(.verifyHello) {
                $0.write(field: 1, nodeID: peer)
                $0.write(field: 2, uint64: session)
                writeCertifiedSignature(check, to: &$0)
            }
        default:
            break
        }
    }

    /// Outcomes and deliveries for the application.
    private static func writeApplicationAction(_ action: NodeAction, to out: inout ShellOutput) {
        switch action {
        case .deliverMessage(let incoming, let replyID):
            out.emit(.message) {
                $0.write(field: 1, nodeID: incoming.source)
                $0.write(field: 2, string: incoming.name)
                $0.write(field: 3, bytes: incoming.payload)
                $0.write(field: 4, uint64: UInt64(incoming.hopCount))
                if let replyID { $0.write(field: 5, uint64: replyID) }
            }
        case .requestCompleted(let requestID, let outcome):
            writeRequestDone(requestID, outcome, to: &out)
        case .deliverSpread(let delivery):
            out.emit(.spread) {
                $0.write(field: 1, string: delivery.topic)
                $0.write(field: 2, bytes: delivery.payload)
                $0.write(field: 3, nodeID: delivery.sender)
                $0.write(field: 4, double: delivery.senderPosition.x)
                $0.write(field: 5, double: delivery.senderPosition.y)
                $0.write(field: 6, double: delivery.center.x)
                $0.write(field: 7, double: delivery.center.y)
                $0.write(field: 8, double: delivery.radius)
                $0.write(field: 9, uint64: UInt64(delivery.hops))
            }
        case .publishCompleted(let id, let error):
            out.emit(.publishDone) {
                $0.write(field: 1, uint64: id)
                if let error { $0.write(field: 2, string: kind(of: error)) }
            }
        case .kvsCompleted(let operation, let result):
            writeKVSDone(operation, result, to: &out)
        default:
            break
        }
    }

    private static func writeSignedIn(_ response: SignInResponse, to out: inout ShellOutput) {
        let configuration = response.configuration
        out.emit(.signedIn) {
            $0.write(field: 1, nodeID: response.nodeID)
            $0.write(field: 2, bytes: response.seedPublicKey)
            $0.write(field: 3, uint64: UInt64(response.keepaliveIntervalMilliseconds))
            for server in configuration.iceServers { $0.write(field: 4, message: server) }
            switch configuration.space {
            case .plane(let width, let height):
                $0.write(field: 5, string: "plane")
                $0.write(field: 6, double: width)
                $0.write(field: 7, double: height)
            case .sphere(let radius):
                $0.write(field: 5, string: "sphere")
                $0.write(field: 6, double: radius)
            case .torus(let width, let height):
                $0.write(field: 5, string: "torus")
                $0.write(field: 6, double: width)
                $0.write(field: 7, double: height)
            }
            $0.write(field: 8, uint64: UInt64(configuration.routing.maximumLinks))
            $0.write(field: 9, string: configuration.name)
        }
    }

    private static func writeRequestDone(_ id: UInt64, _ outcome: RequestOutcome, to out: inout ShellOutput) {
        out.emit(.requestDone) {
            $0.write(field: 1, uint64: id)
            switch outcome {
            case .response(let bytes):
                $0.write(field: 2, bool: true)
                $0.write(field: 3, bytes: bytes)
            case .failure(let failure):
                let (kind, detail): (String, String) = switch failure {
                case .timeout: ("timeout", "no response after every retry")
                case .unreachable: ("unreachable", "no node with that ID is on the ring")
                case .noHandler: ("noHandler", "the destination has no handler for that name")
                case .hopLimitExceeded: ("hopLimitExceeded", "the request exceeded the hop limit")
                case .messageTooLarge: ("messageTooLarge", "the message exceeded the network's size limit")
                case .unsupported: ("unsupported", "the destination does not understand the request")
                case .handlerFailed(let why): ("handlerFailed", why)
                case .networkClosed: ("networkClosed", "the node disconnected")
                }
                $0.write(field: 4, string: kind)
                $0.write(field: 5, string: detail)
            }
        }
    }

    private static func writeKVSDone(_ operation: KVSClientOperationID, _ result: Result<KVSValue?, KVSError>, to out: inout ShellOutput) {
        out.emit(.kvsDone) {
            $0.write(field: 1, uint64: operation.rawValue)
            switch result {
            case .success(let value):
                $0.write(field: 2, bool: true)
                if let value {
                    $0.write(field: 3, bool: true)
                    $0.write(field: 4, bytes: value.bytes)
                    $0.write(field: 5, uint64: value.version)
                }
            case .failure(let error):
                switch error {
                case .conditionFailed(let version):
                    $0.write(field: 6, string: "conditionFailed")
                    $0.write(field: 7, uint64: version.map { $0 + 1 } ?? 0)
                case .unavailable: $0.write(field: 6, string: "unavailable")
                case .timeout: $0.write(field: 6, string: "timeout")
                case .valueTooLarge(let limit):
                    $0.write(field: 6, string: "valueTooLarge")
                    $0.write(field: 7, uint64: UInt64(limit))
                case .keyTooLarge(let limit):
                    $0.write(field: 6, string: "keyTooLarge")
                    $0.write(field: 7, uint64: UInt64(limit))
                }
            }
        }
    }

    /// A refused call as the shell's error kind and message.
    static func fail(_ error: NodeCallError, name: String = "", out: inout ShellOutput) {
        switch error {
        case .notConnected: out.fail("notConnected", "connect first")
        case .alreadyConnected: out.fail("alreadyConnected", "the node is already connected")
        case .messageTooLarge(let size, let limit):
            out.fail("messageTooLarge", "message of \(size) bytes exceeds the network's limit of \(limit) bytes")
        case .invalidName: out.fail("invalidName", "invalid handler name \"\(name)\"")
        case .invalidPosition(let why): out.fail("invalidPosition", why.description)
        case .spread(let spread): out.fail(kind(of: spread), spread.description)
        }
    }

    static func kind(of error: SpreadError) -> String {
        switch error {
        case .invalidGeometry: "invalidPosition"
        case .payloadTooLarge: "messageTooLarge"
        case .topicTooLong: "invalidName"
        case .positionNotSet: "positionNotSet"
        case .noReceiver: "noReceiver"
        case .networkClosed: "networkClosed"
        }
    }

    /// A snapshot for `links()` and the demo map.
    func state(out: inout ShellOutput) {
        guard let session = controller.session else { return out.emit(.state) { _ in } }
        out.emit(.state) {
            $0.write(field: 1, nodeID: session.nodeID)
            for peer in session.authenticatedPeers { $0.write(field: 2, nodeID: peer) }
            if let position = session.geo.position {
                $0.write(field: 3, bool: true)
                $0.write(field: 4, double: position.x)
                $0.write(field: 5, double: position.y)
            }
            for (id, neighbour) in session.geo.neighbours {
                var entry = WireWriter()
                entry.write(field: 1, nodeID: id)
                entry.write(field: 2, double: neighbour.position.x)
                entry.write(field: 3, double: neighbour.position.y)
                $0.write(field: 6, bytes: entry.bytes)
            }
        }
    }
}
