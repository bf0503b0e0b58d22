/// The key and signature simulated nodes carry instead of real ones (the simulator makes no signatures and
/// every hello verifies), taken from RFC 8032's first Ed25519 test vector so that they pass the controller's
/// encoding checks (a canonical key of large order, a signature with a canonical R and S).
enum StandInSignatures {
    static let publicKey: [UInt8] = bytes("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let signature: [UInt8] = bytes(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

    /// `frame` with its last 64 bytes (the signature placeholder) set to ``signature``.
    static func signed(_ frame: [UInt8]) -> [UInt8] {
        guard frame.count >= 64 else { return frame }
        var signed = frame
        signed.replaceSubrange((frame.count - 64)..., with: signature)
        return signed
    }

    private static func bytes(_ hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var high: UInt8?
        for character in hex.utf8 {
            let nibble = character <= 57 ? character - 48 : character - 87
            if let first = high {
                result.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }
}
