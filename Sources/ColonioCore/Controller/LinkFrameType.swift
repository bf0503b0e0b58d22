/// The one-byte type that prefixes every frame on an overlay data channel.
public enum LinkFrameType: UInt8, Sendable {
    /// A ``LinkHello``: the first frame each side sends.
    case hello = 0
    /// An overlay packet for the node machine.
    case overlay = 1

    /// `body` behind this type's byte.
    func frame(_ body: [UInt8]) -> [UInt8] {
        var frame = [UInt8]()
        frame.reserveCapacity(body.count + 1)
        frame.append(rawValue)
        frame.append(contentsOf: body)
        return frame
    }
}
