import ColonioCore
import Foundation
import NIOCore
import NIOPosix

/// A TCP connection to the seed speaking bytes a test writes by hand: plain HTTP requests, or a
/// WebSocket handshake followed by hand-built frames (fragments, pings, close frames).
final class RawConnection {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var received: [UInt8] = []
    /// The seed's challenge, once ``upgrade(network:)`` has read it.
    private(set) var challenge: [UInt8]?
    /// A first frame after the upgrade that was not the challenge.
    private var pendingFrame: (fin: Bool, opcode: UInt8, payload: [UInt8])?

    private init(
        iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) {
        self.iterator = iterator
        self.outbound = outbound
    }

    /// Connects to 127.0.0.1:`port` and runs `body`; the connection is closed afterwards.
    static func with<T: Sendable>(port: Int, _ body: (RawConnection) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(RawConnection(iterator: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }

    func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    /// Reads until `count` bytes are available and returns them; `nil` if the seed closed first.
    func receive(count: Int) async throws -> [UInt8]? {
        while received.count < count {
            guard let buffer = try await iterator.next() else { return nil }
            received += buffer.readableBytesView
        }
        defer { received.removeFirst(count) }
        return Array(received.prefix(count))
    }

    /// Reads until the seed closes the connection and returns everything not yet taken.
    func receiveToEnd() async throws -> [UInt8] {
        while let buffer = try await iterator.next() { received += buffer.readableBytesView }
        defer { received.removeAll() }
        return received
    }

    /// Reads through the next `\r\n\r\n` and returns the HTTP head before it.
    func receiveHTTPHead() async throws -> String? {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            if let end = Self.find(terminator, in: received) {
                let head = String(decoding: received[..<end], as: UTF8.self)
                received.removeFirst(end + terminator.count)
                return head
            }
            guard let buffer = try await iterator.next() else { return nil }
            received += buffer.readableBytesView
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}

/// A complete plain-HTTP response.
struct RawHTTPResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    /// The header `name` (case-insensitive).
    func header(_ name: String) -> String? { headers[name.lowercased()] }
}

extension RawConnection {
    /// Sends one request with `Connection: close` and reads the response to the end.
    static func request(_ path: String, method: String = "GET", port: Int) async throws -> RawHTTPResponse {
        try await with(port: port) { connection in
            try await connection.send("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            guard let head = try await connection.receiveHTTPHead() else { throw RawConnectionError.closedEarly }
            let body = try await connection.receiveToEnd()
            var lines = head.split(separator: "\r\n").map(String.init)
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawConnectionError.malformed(head) }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return RawHTTPResponse(status: status, headers: headers, body: body)
        }
    }

    /// Performs the WebSocket handshake on the endpoint of `network`; returns the status line. The seed's
    /// first frame, its challenge, is taken into ``challenge`` (any other first frame stays for ``receiveFrame()``).
    func upgrade(network: String = "alpha") async throws -> String {
        try await send(
            "GET /v1/networks/\(network)/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        guard let head = try await receiveHTTPHead() else { throw RawConnectionError.closedEarly }
        let status = String(head.prefix { $0 != "\r" })
        if status.contains(" 101 "), let first = try await receiveFrame() {
            if first.opcode == 0x2, case .challenge(let nonce)? = try? SeedFrame(decoding: first.payload) {
                challenge = nonce
            } else {
                pendingFrame = first
            }
        }
        return status
    }

    /// Sends one client frame (masked, as clients must).
    func sendFrame(opcode: UInt8, fin: Bool = true, payload: [UInt8]) async throws {
        var frame: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        switch payload.count {
        case ..<126:
            frame.append(0x80 | UInt8(payload.count))
        case ..<65536:
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default:
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8((payload.count >> ($0 * 8)) & 0xFF) }
        }
        let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try await send(frame)
    }

    /// Reads one server frame (servers never mask); `nil` if the seed closed first.
    func receiveFrame() async throws -> (fin: Bool, opcode: UInt8, payload: [UInt8])? {
        if let pending = pendingFrame {
            pendingFrame = nil
            return pending
        }
        guard let start = try await receive(count: 2) else { return nil }
        var length = Int(start[1] & 0x7F)
        if length == 126 {
            guard let extended = try await receive(count: 2) else { return nil }
            length = Int(extended[0]) << 8 | Int(extended[1])
        } else if length == 127 {
            guard let extended = try await receive(count: 8) else { return nil }
            length = extended.reduce(0) { $0 << 8 | Int($1) }
        }
        guard let payload = try await receive(count: length) else { return nil }
        return (start[0] & 0x80 != 0, start[0] & 0x0F, payload)
    }
}

enum RawConnectionError: Error {
    case closedEarly
    case malformed(String)
}
