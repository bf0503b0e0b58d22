import ColonioTesting
import ColonioWebRTC
import Testing

extension WebRTCTests {
    /// A TURN server that refuses the credential shows on the link (libwebrtc itself keeps gathering and
    /// checking, so without this the link would only never connect).
    @Suite
    struct ICEServerErrorTests {
        /// Starts gathering on `link` (an offer), waits up to 5 s for an ICE server error other than 701
        /// (unreachable), closes the link and returns what it reported.
        static func serverErrorsWhileGathering(on link: PeerLink) async throws -> [ICEServerError] {
            _ = try await link.makeOffer()
            let errors = await eventuallyValue(timeout: .seconds(5), every: .milliseconds(100)) { () -> [ICEServerError]? in
                let errors = link.iceServerErrors.filter { $0.code != 701 }
                return errors.isEmpty ? nil : errors
            } ?? []
            link.close()
            return errors
        }

        @Test func aRefusedTURNCredentialIsReportedOnTheLink() async throws {
            let server = try RefusingTURNServer()
            defer { server.stop() }
            var configuration = WebRTCConfiguration.loopbackOnly
            let url = "turn:127.0.0.1:\(server.port)?transport=udp"
            configuration.iceServers = [ICEServer(urls: [url], username: "1700000000:node", credential: "d3Jvbmc=")]
            let link = try LinkPair.makeEngine(configuration: configuration).makeLink()
            #expect(link.iceServerErrors.isEmpty)
            let errors = try await Self.serverErrorsWhileGathering(on: link)
            #expect(errors == [ICEServerError(url: url, code: 401, reason: "Unauthorized")])
            #expect(errors.first?.description == "\(url): 401 Unauthorized")
        }

        /// Servers set after the engine started (renewed TURN credentials) are the ones new links use.
        @Test func newLinksUseTheServersSetLater() async throws {
            let server = try RefusingTURNServer()
            defer { server.stop() }
            let engine = try LinkPair.makeEngine(configuration: .loopbackOnly)
            let url = "turn:127.0.0.1:\(server.port)?transport=udp"
            engine.setICEServers([ICEServer(urls: [url], username: "1700000000:node", credential: "d3Jvbmc=")])
            let link = try engine.makeLink()
            let errors = try await Self.serverErrorsWhileGathering(on: link)
            #expect(errors.map(\.code) == [401])
            #expect(server.requests > 0)

            // And without servers again, a new link asks the TURN server nothing.
            engine.setICEServers([])
            let asked = server.requests
            let plain = try engine.makeLink()
            _ = try await plain.makeOffer()
            try await Task.sleep(for: .milliseconds(500))
            plain.close()
            #expect(server.requests == asked)
            #expect(plain.iceServerErrors.isEmpty)
        }
    }
}
