import NIOHTTP1

/// A complete plain-HTTP response of the seed (health, metrics, web files, refusals).
struct SeedHTTPResponse: Sendable {
    var status: HTTPResponseStatus
    var headers: [(String, String)]
    var body: [UInt8]

    /// A `text/plain` response.
    static func text(_ status: HTTPResponseStatus, _ text: String, headers: [(String, String)] = []) -> SeedHTTPResponse {
        SeedHTTPResponse(
            status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(text.utf8))
    }
}
