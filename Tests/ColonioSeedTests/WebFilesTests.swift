import ColonioSeed
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite struct WebFilesTests {
    @Test func servesTheBrowserNodeWithIsolationHeaders() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("<!doctype html>demo".utf8).write(to: directory.appendingPathComponent("index.html"))
        try Data("export {};".utf8).write(to: directory.appendingPathComponent("colonio.js"))
        try Data([0x00, 0x61, 0x73, 0x6D]).write(to: directory.appendingPathComponent("colonio.wasm"))
        var configuration = RunningSeed.configuration()
        configuration.webDirectory = directory.path
        let server = SeedServer(configuration: configuration, signingKey: SeedSigningKey(), logger: RunningSeed.logger)
        let app = Application(router: server.buildRouter())
        try await app.test(.router) { client in
            for (path, type, body) in [
                ("/", "text/html; charset=utf-8", Array("<!doctype html>demo".utf8)),
                ("/colonio.js", "text/javascript; charset=utf-8", Array("export {};".utf8)),
                ("/colonio.wasm", "application/wasm", [0x00, 0x61, 0x73, 0x6D]),
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == type)
                    #expect(response.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] == "same-origin")
                    #expect(response.headers[HTTPField.Name("Cross-Origin-Embedder-Policy")!] == "require-corp")
                    #expect(Array(response.body.readableBytesView) == body)
                }
            }
            // demo.js is not in the directory.
            try await client.execute(uri: "/demo.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func servesNothingWithoutAWebDirectory() async throws {
        var configuration = RunningSeed.configuration()
        configuration.webDirectory = nil
        let server = SeedServer(configuration: configuration, signingKey: SeedSigningKey(), logger: RunningSeed.logger)
        let app = Application(router: server.buildRouter())
        try await app.test(.router) { client in
            try await client.execute(uri: "/colonio.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
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
