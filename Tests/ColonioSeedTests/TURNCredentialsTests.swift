import ColonioCore
import ColonioSeed
import Testing

@Suite struct TURNCredentialsTests {
    /// Vector computed independently with Python: base64(hmac.new(b"north-secret", username, sha1)).
    @Test func matchesKnownVector() throws {
        let nodeID = try #require(NodeID(hex: "00112233445566778899aabbccddeeff"))
        let credentials = TURNCredentials(secret: "north-secret", expiry: 1_700_000_000, nodeID: nodeID)
        #expect(credentials.username == "1700000000:00112233445566778899aabbccddeeff")
        #expect(credentials.password == "xAIXptLd5VHLrtPurG+T3ptORjw=")
    }
}
