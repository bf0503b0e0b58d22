import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Serves the browser node from a directory: `/` (the demo page), `/demo.js`, `/colonio.js` and
/// `/colonio.wasm`, with the cross-origin isolation headers pages need for fine-grained timers.
struct SeedWebFiles: Sendable {
    let directory: String

    /// The files served, by URL path: file name and content type.
    static let files: [(path: String, file: String, contentType: String)] = [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/index.html", "index.html", "text/html; charset=utf-8"),
        ("/demo.js", "demo.js", "text/javascript; charset=utf-8"),
        ("/colonio.js", "colonio.js", "text/javascript; charset=utf-8"),
        ("/colonio.wasm", "colonio.wasm", "application/wasm"),
    ]

    func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        for entry in Self.files {
            let path = directory + "/" + entry.file
            let contentType = entry.contentType
            let respond: @Sendable (Request, Context) async throws -> Response = { _, _ in
                // Read on every request: files are small, and a rebuilt colonio.wasm is served at once.
                guard let data = FileManager.default.contents(atPath: path) else {
                    let hint = entry.file == "colonio.wasm" ? " (build it with `make wasm`)" : ""
                    return Response(
                        status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "\(entry.file) not found\(hint)\n")))
                }
                return Response(
                    status: .ok,
                    headers: [
                        .contentType: contentType, .cacheControl: "no-cache",
                        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
                        HTTPField.Name("Cross-Origin-Embedder-Policy")!: "require-corp",
                    ],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            }
            router.get(RouterPath(entry.path), use: respond)
            router.head(RouterPath(entry.path), use: respond)
        }
    }
}
