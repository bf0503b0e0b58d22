/// Why the controller refused a peer's offer outright (no link is made, nothing else changes; the
/// refusal is logged).
public enum OfferRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// The offer has no single well-formed fingerprint: the hello could not bind the one in use.
    case fingerprint(SDPFingerprintError)
    /// This many offers are being answered and not yet authenticated: each costs the shell a peer
    /// connection, and any member can send offers (and a relay can replay those it saw).
    case tooManyPending(Int)
    /// This many offers claiming the same peer were answered in a row without any authenticating:
    /// each new one would replace the last (so a flood could also keep the real peer from linking).
    case tooManyFromPeer(Int)
    /// The offer came through the overlay and would replace an authenticated link to its sender: its
    /// signature proves the sender, not that the offer is new (a relay can replay one it saw).
    case overlayOfferForAuthenticatedLink

    public var description: String {
        switch self {
        case .fingerprint(let error): "the peer's description has \(error)"
        case .tooManyPending(let count): "\(count) offers are being answered already"
        case .tooManyFromPeer(let count): "\(count) offers from it were answered in a row without authenticating"
        case .overlayOfferForAuthenticatedLink:
            "it came through the overlay, where a relay could replay an old offer, and would replace an authenticated link"
        }
    }
}
