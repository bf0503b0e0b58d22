/// When a node renews its certificate.
enum CertificateRenewal {
    /// Seconds to wait before renewing a certificate valid until `expiry` and obtained at `issued` (Unix
    /// seconds): halfway through its life, at least 1 s from `now`, at once if it is already past half.
    static func delay(expiry: UInt64, issued: UInt64, now: UInt64) -> UInt64 {
        guard expiry > issued else { return 1 }
        let renewAt = issued + (expiry - issued) / 2
        return renewAt > now ? renewAt - now : 1
    }
}
