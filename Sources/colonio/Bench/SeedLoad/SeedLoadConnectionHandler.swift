import ColonioCore
import NIOCore
import NIOWebSocket

/// One simulated node on its open WebSocket: sends its pre-encoded sign-in, reports the node ID the
/// seed assigned, and counts the signals relayed to it.
///
/// It runs on its connection's event loop only and reports to the shared ``SeedLoadCoordinator``;
/// there is no Swift task per connection.
final class SeedLoadConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private let client: Int
    private let signIn: ByteBuffer
    private let coordinator: SeedLoadCoordinator
    private var signedIn = false
    /// The only node that sends to this one; looked up at the first relayed signal, when every node
    /// has signed in.
    private var expectedSender: NodeID?

    /// - Parameters:
    ///   - client: the simulated node's index.
    ///   - signIn: its sign-in request, a masked binary frame.
    ///   - coordinator: where it reports.
    init(client: Int, signIn: ByteBuffer, coordinator: SeedLoadCoordinator) {
        self.client = client
        self.signIn = signIn
        self.coordinator = coordinator
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is SeedLoadHandshakeHandler.Upgraded {
            context.writeAndFlush(Self.wrapOutboundOut(signIn), promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary where frame.fin:
            receive(Array(frame.unmaskedData.readableBytesView), context: context)
        case .ping:
            var pong = context.channel.allocator.buffer(capacity: frame.length + 14)
            WebSocketClientFrame.write(opcode: WebSocketClientFrame.pong, payload: frame.unmaskedData, to: &pong)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            coordinator.fail(.connectionLost(client: client, "the seed sent a close frame"))
            context.close(promise: nil)
        default:
            // The seed sends whole binary messages only; anything else means it misbehaved.
            coordinator.fail(.unexpected(client: client, "a \(frame.opcode) frame (fin \(frame.fin))"))
        }
    }

    private func receive(_ bytes: [UInt8], context: ChannelHandlerContext) {
        let message: SeedFrame
        do {
            message = try SeedFrame(decoding: bytes)
        } catch {
            coordinator.fail(.unexpected(client: client, "an undecodable frame (\(error))"))
            return
        }
        switch message {
        case .signedIn(let response) where !signedIn:
            signedIn = true
            coordinator.signedIn(client: client, nodeID: response.nodeID, channel: context.channel)
        case .relayedSignal(let from, _):
            if expectedSender == nil { expectedSender = coordinator.sender(to: client) }
            if from == expectedSender {
                coordinator.signalArrived()
            } else {
                coordinator.fail(.unexpected(client: client, "a signal from \(from.hex), not from the previous node"))
            }
        case .error(let error):
            coordinator.fail(.refused(client: client, error))
        case .keepaliveAck, .challenge:
            break  // The challenge only matters to a resume claim, which the load generator never makes.
        default:
            coordinator.fail(.unexpected(client: client, "\(message)"))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        coordinator.fail(error as? SeedLoadError ?? .connectionLost(client: client, "\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        coordinator.closed(client: client)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension SeedLoadConnectionHandler: Sendable {}
