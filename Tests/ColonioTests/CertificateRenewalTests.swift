@testable import Colonio
import Testing

struct CertificateRenewalTests {
    @Test func renewsHalfwayThroughTheCertificateLife() {
        #expect(CertificateRenewal.delay(expiry: 1_000 + 86_400, issued: 1_000, now: 1_000) == 43_200)
        #expect(CertificateRenewal.delay(expiry: 1_000 + 86_400, issued: 1_000, now: 40_000) == 4_200)
        #expect(CertificateRenewal.delay(expiry: 1_000 + 86_400, issued: 1_000, now: 50_000) == 1)
        #expect(CertificateRenewal.delay(expiry: 500, issued: 1_000, now: 1_000) == 1)
    }
}
