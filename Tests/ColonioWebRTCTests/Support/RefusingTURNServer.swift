import Foundation
import Synchronization

/// A TURN server on 127.0.0.1 that refuses every credential: each Allocate request gets a 401 error
/// response with a realm and a nonce, as coturn answers a wrong or expired `use-auth-secret`
/// credential. Other STUN requests are ignored. Serves from its own thread until ``stop()``.
final class RefusingTURNServer: Sendable {
    let port: UInt16
    private let socket: Int32
    /// Set by `stop()`; a class so that the serving thread can share it.
    private final class StopFlag: Sendable {
        let value = Atomic(false)
    }
    private let stopped = StopFlag()
    /// Allocate requests answered so far.
    private final class Counter: Sendable {
        let value = Atomic(0)
    }
    private let allocations = Counter()

    /// How many Allocate requests the server has answered.
    var requests: Int { allocations.value.load(ordering: .acquiring) }

    init() throws {
        let descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw POSIXError(.EADDRINUSE)
        }
        socket = descriptor
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [stopped, allocations] in
            // Bounded by the receive timeout: the loop sees `stop()` within 100 ms.
            var buffer = [UInt8](repeating: 0, count: 2048)
            while !stopped.value.load(ordering: .acquiring) {
                var peer = sockaddr_storage()
                var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = withUnsafeMutablePointer(to: &peer) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(descriptor, &buffer, buffer.count, 0, $0, &peerLength)
                    }
                }
                guard count >= 20, let reply = Self.reply(to: Array(buffer[0..<count])) else { continue }
                allocations.value.add(1, ordering: .releasing)
                _ = withUnsafePointer(to: &peer) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, reply, reply.count, 0, $0, peerLength)
                    }
                }
            }
        }
        thread.start()
    }

    func stop() {
        guard !stopped.value.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // The thread ends within one receive timeout; closing after it keeps the descriptor valid for it.
        Thread.sleep(forTimeInterval: 0.2)
        close(socket)
    }

    /// An Allocate error response 401 (RFC 8489/8656) to an Allocate request; `nil` for anything else.
    static func reply(to request: [UInt8]) -> [UInt8]? {
        // Allocate request: method 0x003, class request; the magic cookie marks STUN.
        guard request[0] == 0x00, request[1] == 0x03, request[4...7] == [0x21, 0x12, 0xA4, 0x42] else { return nil }
        var attributes: [UInt8] = []
        func attribute(_ type: UInt16, _ value: [UInt8]) {
            attributes += [UInt8(type >> 8), UInt8(type & 0xFF), UInt8(value.count >> 8), UInt8(value.count & 0xFF)]
            attributes += value
            attributes += [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
        }
        attribute(0x0009, [0, 0, 4, 1] + Array("Unauthorized".utf8))  // ERROR-CODE 401
        attribute(0x0014, Array("colonio-test".utf8))  // REALM
        attribute(0x0015, Array("0123456789abcdef".utf8))  // NONCE
        // Allocate error response (0x0113), same transaction ID.
        return [0x01, 0x13, UInt8(attributes.count >> 8), UInt8(attributes.count & 0xFF)] + request[4..<20] + attributes
    }
}
