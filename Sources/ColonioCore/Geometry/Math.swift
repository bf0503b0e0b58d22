// The C math library, declared once for the whole core: Foundation is not available in Embedded Swift,
// and wasi-libc (browser build) and libm (native) both provide these symbols.

@_extern(c, "sin") func cSin(_ value: Double) -> Double
@_extern(c, "cos") func cCos(_ value: Double) -> Double
@_extern(c, "asin") func cAsin(_ value: Double) -> Double
@_extern(c, "atan2") func cAtan2(_ y: Double, _ x: Double) -> Double
@_extern(c, "sqrt") func cSqrt(_ value: Double) -> Double

/// Degrees to radians.
@inline(__always) func radians(_ degrees: Double) -> Double { degrees * (Double.pi / 180) }
