import ColonioCore
import ColonioSeed
import ColonioTesting
import Testing

/// The WebSocket protocol itself, spoken frame by frame over a raw socket: fragments, control
/// frames and the close handshake (the seed's own frames are covered by the other suites).
@Suite(.timeLimit(.minutes(1))) struct WebSocketProtocolTests {
    static let binary: UInt8 = 0x2
    static let continuation: UInt8 = 0x0
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    @Test func fragmentedMessageIsReassembledAndPingsAnsweredInBetween() async throws {
        try await RunningSeed.with { seed in
            try await RawConnection.with(port: seed.port) { connection in
                let status = try await connection.upgrade()
                #expect(status.hasPrefix("HTTP/1.1 101"), "\(status)")
                let message = SeedFrame.keepalive(nonce: 0x1234_5678_9ABC).encoded()
                #expect(message.count >= 3)
                let cut = [message.count / 3, 2 * message.count / 3]
                try await connection.sendFrame(opcode: Self.binary, fin: false, payload: Array(message[..<cut[0]]))
                // Control frames may arrive between the fragments of a message.
                try await connection.sendFrame(opcode: Self.ping, payload: Array("are you there".utf8))
                try await connection.sendFrame(
                    opcode: Self.continuation, fin: false, payload: Array(message[cut[0]..<cut[1]]))
                try await connection.sendFrame(opcode: Self.continuation, fin: true, payload: Array(message[cut[1]...]))

                let pong = try await connection.receiveFrame()
                #expect(pong?.opcode == Self.pong)
                #expect(pong?.payload == Array("are you there".utf8))
                let answer = try await connection.receiveFrame()
                #expect(answer?.opcode == Self.binary)
                #expect(answer?.fin == true)
                #expect(try answer.map { try SeedFrame(decoding: $0.payload) } == .keepaliveAck(nonce: 0x1234_5678_9ABC))
            }
        }
    }

    @Test func closeFrameIsAnsweredWithItsCodeThenTheConnectionCloses() async throws {
        try await RunningSeed.with { seed in
            try await RawConnection.with(port: seed.port) { connection in
                let status = try await connection.upgrade()
                #expect(status.hasPrefix("HTTP/1.1 101"), "\(status)")
                try await connection.sendFrame(opcode: Self.close, payload: [0x03, 0xE8] + Array("bye".utf8))
                let answer = try await connection.receiveFrame()
                #expect(answer?.opcode == Self.close)
                #expect(answer?.payload == [0x03, 0xE8])
                #expect(try await connection.receiveToEnd().isEmpty)
            }
            let closed = await eventually { seed.server.metrics.render().contains("colonio_seed_connections 0") }
            #expect(closed)
        }
    }

    @Test func tooManyFragmentsCloseTheConnectionWithMessageTooBig() async throws {
        try await RunningSeed.with { seed in
            try await RawConnection.with(port: seed.port) { connection in
                let status = try await connection.upgrade()
                #expect(status.hasPrefix("HTTP/1.1 101"), "\(status)")
                try await connection.sendFrame(opcode: Self.binary, fin: false, payload: [0x01])
                for _ in 0..<300 {
                    try? await connection.sendFrame(opcode: Self.continuation, fin: false, payload: [0x01])
                }
                let answer = try await connection.receiveFrame()
                #expect(answer?.opcode == Self.close)
                #expect(answer?.payload.prefix(2) == [0x03, 0xF1])  // 1009
                _ = try? await connection.receiveToEnd()
            }
        }
    }

    @Test func seedShutdownSendsGoingAway() async throws {
        let seed = try await EmbeddedSeed.start(configuration: RunningSeed.configuration(), logger: RunningSeed.logger)
        try await RawConnection.with(port: seed.port) { connection in
            let status = try await connection.upgrade()
            #expect(status.hasPrefix("HTTP/1.1 101"), "\(status)")
            // Answered, so the connection is registered before the shutdown begins.
            try await connection.sendFrame(opcode: Self.ping, payload: [])
            #expect(try await connection.receiveFrame()?.opcode == Self.pong)
            await seed.stop()
            let answer = try await connection.receiveFrame()
            #expect(answer?.opcode == Self.close)
            #expect(answer?.payload.prefix(2) == [0x03, 0xE9])  // 1001
            #expect(try await connection.receiveToEnd().isEmpty)
        }
    }
}
