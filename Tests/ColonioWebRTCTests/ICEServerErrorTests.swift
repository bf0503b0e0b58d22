import ColonioWebRTC
import Testing

extension WebRTCTests {
    /// A TURN server that refuses the credential shows on the link (libwebrtc itself keeps gathering and
    /// checking, so without this the link would only never connect).
    @Suite
    struct ICEServerErrorTests {
        @Test func aRefusedTURNCredentialIsReportedOnTheLink() async throws {
            let server = try RefusingTURNServer()
            defer { server.stop() }
            var configuration = WebRTCConfiguration.loopbackOnly
            let url = "turn:127.0.0.1:\(server.port)?transport=udp"
            configuration.iceServers = [ICEServer(urls: [url], username: "1700000000:node", credential: "d3Jvbmc=")]
            let link = try LinkPair.makeEngine(configuration: configuration).makeLink()
            #expect(link.iceServerErrors.isEmpty)
            _ = try await link.makeOffer()
            var errors: [ICEServerError] = []
            for _ in 0..<50 where errors.isEmpty {
                try await Task.sleep(for: .milliseconds(100))
                errors = link.iceServerErrors.filter { $0.code != 701 }
            }
            link.close()
            #expect(errors == [ICEServerError(url: url, code: 401, reason: "Unauthorized")])
            #expect(errors.first?.description == "\(url): 401 Unauthorized")
        }
    }
}
