import ColonioCore
import Testing

struct SDPFingerprintTests {
    /// libwebrtc ends SDP lines with "\r\n", a single `Character` in Swift.
    @Test func findsTheFingerprintInCRLFSeparatedSDP() throws {
        let sdp = "v=0\r\ns=-\r\na=ice-options:trickle\r\na=fingerprint:sha-256 42:CB:E4 \r\na=setup:active\r\n"
        #expect(try SDPFingerprint.only(in: sdp) == "sha-256 42:CB:E4")
    }

    @Test func findsTheFingerprintInLFSeparatedSDP() throws {
        #expect(try SDPFingerprint.only(in: "v=0\na=fingerprint:sha-256 ab:cd\n") == "sha-256 ab:cd")
        #expect(try SDPFingerprint.only(in: "v=0\na=fingerprint:sha-256 AB") == "sha-256 AB")
    }

    @Test func noFingerprintLineIsMissing() {
        #expect(throws: SDPFingerprintError.missing) { try SDPFingerprint.only(in: "v=0\r\ns=-\r\n") }
        // Attribute names are case-sensitive in libwebrtc: this line is not a fingerprint to it either.
        #expect(throws: SDPFingerprintError.missing) { try SDPFingerprint.only(in: "v=0\r\na=FINGERPRINT:sha-256 AB\r\n") }
    }

    /// Issue #18, finding 3: libwebrtc takes the media-level line over the session-level one (the last
    /// media-level one of several), so a description with a second line, even an equal one, is refused.
    @Test(arguments: [
        "v=0\r\na=fingerprint:sha-256 AB:CD\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 EF:01\r\n",
        "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=fingerprint:sha-256 AB:CD\r\na=fingerprint:sha-256 EF:01\r\n",
        "v=0\r\na=fingerprint:sha-256 AB:CD\r\na=fingerprint:sha-256 AB:CD\r\n",
    ])
    func twoFingerprintLinesAreRefused(sdp: String) {
        #expect(throws: SDPFingerprintError.several(2)) { try SDPFingerprint.only(in: sdp) }
    }

    @Test(arguments: [
        "a=fingerprint:", "a=fingerprint:sha-256", "a=fingerprint:sha-256 ", "a=fingerprint: AB:CD",
        "a=fingerprint:sha-256 ABC", "a=fingerprint:sha-256 AB:", "a=fingerprint:sha-256 AB::CD",
        "a=fingerprint:sha-256 AB:CG", "a=fingerprint:sha-256  AB:CD", "a=fingerprint:sha_256 AB:CD",
        "a=fingerprint:sha-256 AB CD", "a=fingerprint:sha-256 memory",
    ])
    func aMalformedFingerprintLineIsRefused(line: String) {
        #expect(throws: SDPFingerprintError.malformed) { try SDPFingerprint.only(in: "v=0\r\n\(line)\r\n") }
    }

    /// libwebrtc splits lines at LF only: a fingerprint hidden behind a lone CR would be a different line
    /// here than there.
    @Test func aCarriageReturnInsideALineIsRefused() {
        #expect(throws: SDPFingerprintError.strayCarriageReturn) {
            try SDPFingerprint.only(in: "v=0\r\na=x-note:1\ra=fingerprint:sha-256 EF:01\r\na=fingerprint:sha-256 AB:CD\r\n")
        }
    }
}
