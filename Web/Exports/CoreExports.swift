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

/// Computes the geometry of the degenerate layouts (``GeometryCrossCheck``) and returns its digest: all of
/// it when `parts` is 0, else those parts (``GeometryCrossCheck/Parts``) in space `space` (0, 1, 2), so
/// that a difference from the native build can be narrowed down.
@_cdecl("colonio_geometry_digest")
public func colonioGeometryDigest(_ parts: UInt32, _ space: Int32) -> UInt64 {
    parts == 0 ? GeometryCrossCheck.digest()
        : GeometryCrossCheck.digest(parts: GeometryCrossCheck.Parts(rawValue: parts), spaceIndex: Int(space))
}

/// The digest the native build computes (pinned by its tests): the smoke test expects the browser
/// build's ``colonioGeometryDigest()`` to equal it.
@_cdecl("colonio_geometry_recorded_digest")
public func colonioGeometryRecordedDigest() -> UInt64 {
    GeometryCrossCheck.recordedDigest
}
