import Testing
@testable import ColonioCore

/// The native half of the native/wasm geometry cross-check (issue #17): the digest of
/// ``GeometryCrossCheck`` is the recorded one, which `Web/smoke-test.mjs` expects from the wasm build.
@Suite struct GeometryCrossCheckTests {
    @Test func theNativeDigestIsTheRecordedOne() {
        let digest = GeometryCrossCheck.digest()
        #expect(digest == GeometryCrossCheck.recordedDigest,
                "geometry digest 0x\(String(digest, radix: 16)); update GeometryCrossCheck.recordedDigest only for a deliberate change")
        #expect(GeometryCrossCheck.digest() == digest)
        if digest != GeometryCrossCheck.recordedDigest {
            // Compare with `node Web/smoke-test.mjs Web/colonio.wasm --geometry-parts`.
            for space in 0..<3 {
                let parts = [1, 2, 4, 8, 16].map {
                    String(GeometryCrossCheck.digest(parts: .init(rawValue: $0), spaceIndex: space), radix: 16)
                }
                print("geometry space \(space): \(parts.joined(separator: " "))")
            }
        }
    }
}
