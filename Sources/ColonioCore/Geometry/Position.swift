/// A point in a ``CoordinateSpace``: `x`/`y` on a plane or torus; on a sphere **`x` is the longitude and
/// `y` the latitude**, in degrees.
///
/// Mind the order on a sphere: longitude first, as in GeoJSON and `(x, y)`, not "latitude, longitude" as
/// maps often write it. Tokyo is `Position(x: 139.65, y: 35.68)`, or unambiguously
/// `Position(latitude: 35.68, longitude: 139.65)`. Every longitude at a pole is the same point, and so are
/// longitudes 180 and -180 on one parallel.
public struct Position: Hashable, Sendable {
    /// Horizontal coordinate; on a sphere the longitude in degrees, east positive, in [-180, 180].
    public var x: Double
    /// Vertical coordinate; on a sphere the latitude in degrees, north positive, in [-90, 90].
    public var y: Double

    /// Creates a position from plane or torus coordinates.
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    /// Creates a position on a sphere from latitude and longitude in degrees (stored as `y` and `x`).
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
