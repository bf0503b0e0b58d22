import ColonioTesting
import Foundation

/// Debian's nginx as the WebSocket load balancer in front of several seeds, with a generated
/// configuration on a free loopback port (the example in docs/seed.md, with test paths).
final class NginxBalancer: Sendable {
    static let executable = "/usr/sbin/nginx"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: executable) }

    let port: Int
    let folder: URL
    private let process: Process

    var url: String { "ws://127.0.0.1:\(port)" }

    /// Starts nginx in the foreground, proxying WebSockets round-robin to `seedPorts`.
    init(seedPorts: [Int], folder: URL) async throws {
        port = try ExternalCommand.freeLoopbackPort()
        self.folder = folder
        let configuration = folder.appendingPathComponent("nginx.conf")
        try Self.configuration(port: port, seedPorts: seedPorts, folder: folder)
            .write(to: configuration, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["-p", folder.path, "-c", configuration.path, "-e", folder.appendingPathComponent("error.log").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let port = self.port
        let listening = await eventually(timeout: .seconds(10)) { Self.accepts(port: port) }
        guard listening else {
            process.terminate()
            let log = (try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
            throw ExternalCommandError("nginx did not listen on \(port): \(log)")
        }
    }

    deinit {
        stop()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    static func configuration(port: Int, seedPorts: [Int], folder: URL) -> String {
        let servers = seedPorts.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=10s;" }.joined(separator: "\n")
        let temp = folder.path
        // `user` only matters as root; workers then run as nobody, which owns `folder`.
        return """
            daemon off;
            master_process on;
            worker_processes 1;
            pid \(temp)/nginx.pid;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(temp)/client_body;
                proxy_temp_path \(temp)/proxy;
                fastcgi_temp_path \(temp)/fastcgi;
                uwsgi_temp_path \(temp)/uwsgi;
                scgi_temp_path \(temp)/scgi;
                map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                upstream colonio_seeds {
            \(servers)
                }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://colonio_seeds;
                        proxy_http_version 1.1;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection $connection_upgrade;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_connect_timeout 1s;
                        proxy_read_timeout 1h;
                        proxy_send_timeout 1h;
                        proxy_next_upstream error timeout;
                    }
                }
            }

            """
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
