@testable import Colonio
import ColonioCore
import Testing

struct SDPFingerprintTests {
    /// libwebrtc ends SDP lines with "\r\n", a single `Character` in Swift.
    @Test func extractsTheFingerprintFromCRLFSeparatedSDP() {
        let sdp = "v=0\r\ns=-\r\na=ice-options:trickle\r\na=fingerprint:sha-256 42:CB:E4 \r\na=setup:active\r\n"
        #expect(SDPFingerprint.extract(from: sdp) == "sha-256 42:CB:E4")
    }

    @Test func extractsTheFingerprintFromLFSeparatedSDP() {
        #expect(SDPFingerprint.extract(from: "v=0\na=fingerprint:sha-256 AB:CD\n") == "sha-256 AB:CD")
    }

    @Test func noFingerprintLineGivesNil() {
        #expect(SDPFingerprint.extract(from: "v=0\r\ns=-\r\n") == nil)
    }
}
