import Foundation

/// Serves the browser node from a directory: `/` (the demo page), `/demo.js`, `/colonio.js` (with the
/// module it imports, `/colonio-internal.js`) and `/colonio.wasm`, with the cross-origin isolation headers pages need for fine-grained timers and a
/// Content-Security-Policy that lets pages run only the seed's own scripts.
///
/// Only these fixed paths map to files, so no request path can reach anything else in the directory
/// or outside it. The files are read once, when the seed starts: a request costs no file read (which
/// would block an event loop or queue on a thread pool) and no new copy of the file. Restart the seed
/// to serve a rebuilt `colonio.wasm`.
struct SeedWebFiles: Sendable {
    /// One servable file.
    struct Entry: Sendable {
        var file: String
        var contentType: String
    }

    /// The files served, by URL path: file name and content type.
    static let files: [String: Entry] = [
        "/": Entry(file: "index.html", contentType: "text/html; charset=utf-8"),
        "/index.html": Entry(file: "index.html", contentType: "text/html; charset=utf-8"),
        "/demo.js": Entry(file: "demo.js", contentType: "text/javascript; charset=utf-8"),
        "/colonio.js": Entry(file: "colonio.js", contentType: "text/javascript; charset=utf-8"),
        "/colonio-internal.js": Entry(file: "colonio-internal.js", contentType: "text/javascript; charset=utf-8"),
        "/colonio.wasm": Entry(file: "colonio.wasm", contentType: "application/wasm"),
    ]

    /// Scripts only from the seed itself (and WebAssembly compiled from them), no inline script, no
    /// plugins, no framing; WebSockets to any seed, since a page may name another one.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
        + "connect-src 'self' ws: wss:; "
        + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    private let responses: [String: SeedHTTPResponse]

    /// Reads every file of ``files`` from `directory` now.
    init(directory: String) {
        var byFile: [String: SeedHTTPResponse] = [:]
        for entry in Self.files.values where byFile[entry.file] == nil {
            byFile[entry.file] = Self.read(entry, directory: directory)
        }
        responses = Self.files.mapValues { byFile[$0.file]! }
    }

    /// The response for a URL path, or `nil` if the path is not one of ``files``.
    func response(forPath path: Substring) -> SeedHTTPResponse? {
        responses[String(path)]
    }

    private static func read(_ entry: Entry, directory: String) -> SeedHTTPResponse {
        guard let data = FileManager.default.contents(atPath: directory + "/" + entry.file) else {
            let hint = entry.file == "colonio.wasm" ? " (build it with `make wasm`, then restart the seed)" : ""
            return .text(.notFound, "\(entry.file) not found\(hint)\n")
        }
        return SeedHTTPResponse(
            status: .ok,
            headers: [
                ("Content-Type", entry.contentType), ("Cache-Control", "no-cache"),
                ("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Embedder-Policy", "require-corp"),
                ("Content-Security-Policy", contentSecurityPolicy), ("X-Content-Type-Options", "nosniff"),
            ],
            body: Array(data))
    }
}
