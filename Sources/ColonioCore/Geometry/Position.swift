/// A point in a ``CoordinateSpace``: `x`/`y` on a plane or torus, longitude/latitude in degrees on a sphere.
public struct Position: Hashable, Sendable {
    /// Horizontal coordinate; longitude in degrees on a sphere.
    public var x: Double
    /// Vertical coordinate; latitude in degrees on a sphere.
    public var y: Double

    /// Creates a position from plane or torus coordinates.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// Creates a position on a sphere from latitude and longitude in degrees.
    public init(latitude: Double, longitude: Double) {
        self.init(x: longitude, y: latitude)
    }

    /// Latitude in degrees (the `y` coordinate).
    public var latitude: Double { y }
    /// Longitude in degrees (the `x` coordinate).
    public var longitude: Double { x }
}

extension Position: WireMessage {
    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var x = 0.0
        var y = 0.0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: x = try reader.readDouble(field)
            case 2: y = try reader.readDouble(field)
            default: try reader.skip(field)
            }
        }
        guard x.isFinite else { throw .invalidValue(field: 1) }
        guard y.isFinite else { throw .invalidValue(field: 2) }
        self.init(x: x, y: y)
    }

    public func encode(to writer: inout WireWriter) {
        writer.write(field: 1, double: x)
        writer.write(field: 2, double: y)
    }
}
