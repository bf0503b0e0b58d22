import ColonioSeed
import Foundation
import Testing

@Suite(.timeLimit(.minutes(1))) struct WebFilesTests {
    @Test func servesTheBrowserNodeWithIsolationHeaders() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("<!doctype html>demo".utf8).write(to: directory.appendingPathComponent("index.html"))
        try Data("export {};".utf8).write(to: directory.appendingPathComponent("colonio.js"))
        try Data("export const internal = 1;".utf8).write(to: directory.appendingPathComponent("colonio-internal.js"))
        try Data([0x00, 0x61, 0x73, 0x6D]).write(to: directory.appendingPathComponent("colonio.wasm"))
        var configuration = RunningSeed.configuration()
        configuration.webDirectory = directory.path
        try await RunningSeed.with(configuration) { seed in
            for (path, type, body) in [
                ("/", "text/html; charset=utf-8", Array("<!doctype html>demo".utf8)),
                ("/colonio.js", "text/javascript; charset=utf-8", Array("export {};".utf8)),
                // colonio.js imports it.
                ("/colonio-internal.js", "text/javascript; charset=utf-8", Array("export const internal = 1;".utf8)),
                ("/colonio.wasm", "application/wasm", [0x00, 0x61, 0x73, 0x6D]),
            ] {
                let response = try await RawConnection.request(path, port: seed.port)
                #expect(response.status == 200)
                #expect(response.header("Content-Type") == type)
                #expect(response.header("Cross-Origin-Opener-Policy") == "same-origin")
                #expect(response.header("Cross-Origin-Embedder-Policy") == "require-corp")
                // Issue #18, finding 7: pages run only the seed's own scripts.
                #expect(response.header("Content-Security-Policy")?.contains("script-src 'self' 'wasm-unsafe-eval';") == true)
                #expect(response.header("X-Content-Type-Options") == "nosniff")
                #expect(response.body == body)
            }
            // Read once at start: a file changed afterwards costs no read per request.
            try Data("changed".utf8).write(to: directory.appendingPathComponent("colonio.js"))
            #expect(try await RawConnection.request("/colonio.js", port: seed.port).body == Array("export {};".utf8))
            // HEAD: the headers of GET, no body.
            let head = try await RawConnection.request("/colonio.js", method: "HEAD", port: seed.port)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "10")
            #expect(head.body.isEmpty)
            // demo.js is not in the directory.
            #expect(try await RawConnection.request("/demo.js", port: seed.port).status == 404)
            // Only the listed files are served: nothing else in the directory, nothing outside it.
            try Data("secret".utf8).write(to: directory.appendingPathComponent("seed.key"))
            for path in ["/seed.key", "/../seed.key", "/%2e%2e/etc/passwd", "/colonio.js/../seed.key"] {
                #expect(try await RawConnection.request(path, port: seed.port).status == 404)
            }
        }
    }

    /// Issue #18, finding 7: the seed echoes the network name in `unknownNetwork`, and the demo page
    /// wrote errors with `innerHTML`, so `/?network=<img src=x onerror=...>` ran script. No page or
    /// shell script may turn text into HTML.
    @Test func webScriptsNeverParseTextAsHTML() throws {
        let web = try #require(SeedConfiguration.packageWebDirectory)
        for file in ["demo.js", "colonio.js", "colonio-internal.js", "index.html"] {
            let text = try String(contentsOfFile: web + "/" + file, encoding: .utf8)
            for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "srcdoc", "eval("] {
                #expect(!text.contains(sink), "\(file) uses \(sink)")
            }
            // No inline script: the Content-Security-Policy would block it.
            if file == "index.html" { #expect(!text.contains("<script>")) }
        }
    }

    @Test func servesNothingWithoutAWebDirectory() async throws {
        var configuration = RunningSeed.configuration()
        configuration.webDirectory = nil
        try await RunningSeed.with(configuration) { seed in
            let response = try await RawConnection.request("/colonio.js", port: seed.port)
            #expect(response.status == 404)
        }
    }

    @Test func configurationFileSetsOrDisablesTheWebDirectory() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-seed-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"webDirectory": "/srv/colonio", "networks": [{"name": "a", "tokens": ["t"]}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try SeedConfiguration.load(path: path).webDirectory == "/srv/colonio")
        try Data(#"{"webDirectory": "", "networks": [{"name": "a", "tokens": ["t"]}]}"#.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try SeedConfiguration.load(path: path).webDirectory == nil)
    }
}
