/// Cuts an encoded body into pieces that each fit one link frame.
///
/// Every piece but the last is exactly `fragmentBytes` long, which lets the ``Reassembler`` bound its
/// buffers from the fragment count alone.
public enum Fragmenter {
    /// The pieces of `body`, in order; a single (possibly empty) piece when it already fits.
    public static func split(_ body: [UInt8], fragmentBytes requested: Int) -> [[UInt8]] {
        let fragmentBytes = Swift.max(1, requested)
        guard body.count > fragmentBytes else { return [body] }
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity((body.count + fragmentBytes - 1) / fragmentBytes)
        var start = 0
        while start < body.count {
            let end = Swift.min(start + fragmentBytes, body.count)
            pieces.append(Array(body[start..<end]))
            start = end
        }
        return pieces
    }

    /// How many fragments a body of `byteCount` bytes needs.
    public static func fragmentCount(byteCount: Int, fragmentBytes requested: Int) -> Int {
        let fragmentBytes = Swift.max(1, requested)
        return Swift.max(1, (byteCount + fragmentBytes - 1) / fragmentBytes)
    }
}
