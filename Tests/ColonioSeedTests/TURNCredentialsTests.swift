import Colonio
import ColonioCore
import ColonioSeed
import ColonioTesting
import Crypto
import Foundation
import Testing

@Suite struct TURNCredentialsTests {
    /// Vector computed independently with Python: base64(hmac.new(b"north-secret", username, sha1)).
    @Test func matchesKnownVector() throws {
        let nodeID = try #require(NodeID(hex: "00112233445566778899aabbccddeeff"))
        let credentials = TURNCredentials(secret: "north-secret", expiry: 1_700_000_000, nodeID: nodeID)
        #expect(credentials.username == "1700000000:00112233445566778899aabbccddeeff")
        #expect(credentials.password == "xAIXptLd5VHLrtPurG+T3ptORjw=")
    }

    /// Time-limited TURN credentials would lapse during a long session: each certificate renewal brings
    /// fresh ones (derived anew for this node, valid for the configured lifetime from the renewal).
    @Test func certificateRenewalBringsFreshTURNCredentials() async throws {
        let network = NetworkDefinition(
            name: "alpha", tokens: ["alpha-token"],
            iceServers: [
                ICEServerDefinition(urls: ["stun:127.0.0.1:3478"]),
                ICEServerDefinition(urls: ["turn:127.0.0.1:3479"], turnSecret: "north-secret", credentialLifetimeSeconds: 2),
            ])
        let clock = ManualClock()
        try await RunningSeed.with(RunningSeed.configuration(networks: [network]), clock: clock.colonioClock) { seed in
            let client = try await SeedClient.connect(
                url: seed.url, network: "alpha", token: "alpha-token", keypair: Curve25519.Signing.PrivateKey(),
                options: SeedClient.Options(clock: clock.colonioClock), logger: RunningSeed.logger)
            let signedIn = client.iceServers
            #expect(signedIn == client.session.configuration.iceServers)
            // Expiries are whole seconds: the renewal comes a second later on the seed's clock.
            clock.advance(by: .seconds(1))
            try await client.renewCertificate()
            let renewed = client.iceServers
            #expect(renewed.count == 2)
            #expect(renewed.first == ICEServerConfiguration(urls: ["stun:127.0.0.1:3478"]))
            let turn = try #require(renewed.last)
            #expect(turn.urls == ["turn:127.0.0.1:3479"])
            let expiry = try #require(UInt64(turn.username.split(separator: ":").first ?? ""))
            let earlier = try #require(UInt64(signedIn[1].username.split(separator: ":").first ?? ""))
            #expect(expiry == earlier + 1)
            #expect(turn.username.hasSuffix(":" + client.session.nodeID.hex))
            #expect(turn.credential == TURNCredentials(secret: "north-secret", username: turn.username).password)
            await client.close()
        }
    }
}
