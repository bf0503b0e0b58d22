import Foundation

/// Serves the browser node from a directory: `/` (the demo page), `/demo.js`, `/colonio.js` and
/// `/colonio.wasm`, with the cross-origin isolation headers pages need for fine-grained timers.
///
/// Only these fixed paths map to files, so no request path can reach anything else in the directory
/// or outside it.
struct SeedWebFiles: Sendable {
    let directory: String

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
        "/colonio.wasm": Entry(file: "colonio.wasm", contentType: "application/wasm"),
    ]

    /// The response for `entry`, reading its file now (blocking: call it off the event loop). Read on
    /// every request: the files are small, and a rebuilt `colonio.wasm` is served at once.
    func response(for entry: Entry) -> SeedHTTPResponse {
        guard let data = FileManager.default.contents(atPath: directory + "/" + entry.file) else {
            let hint = entry.file == "colonio.wasm" ? " (build it with `make wasm`)" : ""
            return .text(.notFound, "\(entry.file) not found\(hint)\n")
        }
        return SeedHTTPResponse(
            status: .ok,
            headers: [
                ("Content-Type", entry.contentType), ("Cache-Control", "no-cache"),
                ("Cross-Origin-Opener-Policy", "same-origin"), ("Cross-Origin-Embedder-Policy", "require-corp"),
            ],
            body: Array(data))
    }
}
