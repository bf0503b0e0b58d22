#if !hasFeature(Embedded)
// Natively the browser shell is its own module (`ColonioBrowser`); the wasm build compiles it into the core.
import ColonioCore
#endif

// Functions the browser shell calls in colonio.wasm. Compiled only into the WebAssembly build,
// together with every source file of ColonioCore (see scripts/build-wasm.sh).

/// Compares two node IDs given as 64-bit halves on the ring; returns -1, 0 or 1.
/// Used by the smoke test to prove the module loads and runs core code.
@_cdecl("colonio_node_id_compare")
public func colonioNodeIDCompare(_ aHigh: UInt64, _ aLow: UInt64, _ bHigh: UInt64, _ bLow: UInt64) -> Int32 {
    let a = NodeID(high: aHigh, low: aLow)
    let b = NodeID(high: bHigh, low: bLow)
    return a < b ? -1 : (a == b ? 0 : 1)
}

/// Round-trips a varint through the core's wire codec; returns the decoded value or `UInt64.max`
/// when decoding failed. Proves typed throws and the codec work in the browser build.
@_cdecl("colonio_varint_roundtrip")
public func colonioVarintRoundTrip(_ value: UInt64) -> UInt64 {
    var writer = WireWriter()
    writer.writeVarint(value)
    var reader = WireReader(writer.bytes)
    do {
        return try reader.readVarint()
    } catch {
        return UInt64.max
    }
}
