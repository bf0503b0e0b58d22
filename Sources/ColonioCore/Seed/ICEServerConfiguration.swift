/// One STUN or TURN server a node hands to WebRTC, in the shape of the standard `RTCIceServer`.
public struct ICEServerConfiguration: Equatable, Sendable {
    /// `stun:`, `turn:` or `turns:` URLs of the same server.
    public var urls: [String]
    /// TURN user name; empty for STUN.
    public var username: String
    /// TURN password; empty for STUN.
    public var credential: String

    /// Creates a server entry.
    public init(urls: [String], username: String = "", credential: String = "") {
        self.urls = urls
        self.username = username
        self.credential = credential
    }
}

extension ICEServerConfiguration: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        self.init(urls: [])
        while let field = try reader.nextField() {
            switch field.number {
            case 1:
                guard urls.count < SeedLimits.iceServerURLs else {
                    throw .countLimitExceeded(field: 1, limit: SeedLimits.iceServerURLs)
                }
                urls.append(try reader.readString(field, limit: SeedLimits.iceServerFieldBytes))
            case 2: username = try reader.readString(field, limit: SeedLimits.iceServerFieldBytes)
            case 3: credential = try reader.readString(field, limit: SeedLimits.iceServerFieldBytes)
            default: try reader.skip(field)
            }
        }
    }

    public func encode(to writer: inout WireWriter) {
        for url in urls { writer.write(field: 1, string: url) }
        if !username.isEmpty { writer.write(field: 2, string: username) }
        if !credential.isEmpty { writer.write(field: 3, string: credential) }
    }
}
