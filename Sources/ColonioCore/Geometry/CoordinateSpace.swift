/// The 2D space a network's nodes place themselves in for location-based pub/sub.
public enum CoordinateSpace: Equatable, Sendable {
    /// A bounded rectangle `[0, width) x [0, height)` with Euclidean distance (a game map).
    case plane(width: Double, height: Double)
    /// A sphere of `radius` metres; a position's `x` is the longitude (degrees in [-180, 180]) and its `y`
    /// the latitude (degrees in [-90, 90]): longitude first. Distance is great-circle distance in metres.
    case sphere(radius: Double)
    /// A rectangle `[0, width) x [0, height)` that wraps on both axes; distance is the shortest wrapped one.
    case torus(width: Double, height: Double)
}

extension CoordinateSpace: WireMessage {
    private enum Kind: UInt64 {
        case plane = 1, sphere = 2, torus = 3
    }

    public init(from reader: inout WireReader) throws(WireDecodingError) {
        var kind: UInt64?
        var first = 0.0
        var second = 0.0
        while let field = try reader.nextField() {
            switch field.number {
            case 1: kind = try reader.readUInt64(field)
            case 2: first = try reader.readDouble(field)
            case 3: second = try reader.readDouble(field)
            default: try reader.skip(field)
            }
        }
        guard let rawKind = kind else { throw .missingField(1) }
        guard first.isFinite, first > 0 else { throw .invalidValue(field: 2) }
        switch Kind(rawValue: rawKind) {
        case .plane?, .torus?:
            guard second.isFinite, second > 0 else { throw .invalidValue(field: 3) }
            self = rawKind == Kind.plane.rawValue ? .plane(width: first, height: second)
                : .torus(width: first, height: second)
        case .sphere?: self = .sphere(radius: first)
        case nil: throw .invalidValue(field: 1)
        }
    }

    public func encode(to writer: inout WireWriter) {
        switch self {
        case .plane(let width, let height):
            writer.write(field: 1, uint64: Kind.plane.rawValue)
            writer.write(field: 2, double: width)
            writer.write(field: 3, double: height)
        case .sphere(let radius):
            writer.write(field: 1, uint64: Kind.sphere.rawValue)
            writer.write(field: 2, double: radius)
        case .torus(let width, let height):
            writer.write(field: 1, uint64: Kind.torus.rawValue)
            writer.write(field: 2, double: width)
            writer.write(field: 3, double: height)
        }
    }
}
