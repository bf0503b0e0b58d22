/// Why a position, circle or radius is not valid in a network's ``CoordinateSpace``.
public enum GeometryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A coordinate was NaN or infinite.
    case notFinite
    /// A latitude outside [-90, 90] degrees on a sphere.
    case latitudeOutOfRange(Double)
    /// A longitude outside [-180, 180] degrees on a sphere.
    case longitudeOutOfRange(Double)
    /// A point outside the rectangle `[0, width] x [0, height]` of a plane.
    case outsidePlane(x: Double, y: Double, width: Double, height: Double)
    /// A circle radius that is negative, NaN or infinite.
    case invalidRadius(Double)

    public var description: String {
        switch self {
        case .notFinite:
            return "a coordinate is NaN or infinite; pass finite numbers"
        case .latitudeOutOfRange(let value):
            return "latitude \(value) is outside [-90, 90] degrees; pass latitude as y and longitude as x"
        case .longitudeOutOfRange(let value):
            return "longitude \(value) is outside [-180, 180] degrees; normalise it before passing it"
        case .outsidePlane(let x, let y, let width, let height):
            return "position (\(x), \(y)) is outside the plane [0, \(width)] x [0, \(height)] of this network"
        case .invalidRadius(let value):
            return "radius \(value) is not a finite number >= 0"
        }
    }
}
