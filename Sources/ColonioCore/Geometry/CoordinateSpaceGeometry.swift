// Validation and distance in each coordinate space. Every node evaluates these with the same code, so two
// nodes agree exactly on whether a point lies inside a circle.

extension CoordinateSpace {
    /// Checks that `position` is a valid point of this space and returns it in canonical form.
    ///
    /// A torus wraps positions into `[0, width) x [0, height)`; a plane accepts its closed rectangle;
    /// a sphere accepts latitude in [-90, 90] and longitude in [-180, 180] degrees.
    public func validated(_ position: Position) throws(GeometryError) -> Position {
        guard position.x.isFinite, position.y.isFinite else { throw .notFinite }
        switch self {
        case .plane(let width, let height):
            guard position.x >= 0, position.x <= width, position.y >= 0, position.y <= height else {
                throw .outsidePlane(x: position.x, y: position.y, width: width, height: height)
            }
            return position
        case .sphere:
            guard position.latitude >= -90, position.latitude <= 90 else {
                throw .latitudeOutOfRange(position.latitude)
            }
            guard position.longitude >= -180, position.longitude <= 180 else {
                throw .longitudeOutOfRange(position.longitude)
            }
            return position
        case .torus(let width, let height):
            return Position(x: Self.wrap(position.x, width), y: Self.wrap(position.y, height))
        }
    }

    /// Checks that `radius` is a usable circle radius (metres on a sphere).
    public func validatedRadius(_ radius: Double) throws(GeometryError) -> Double {
        guard radius.isFinite, radius >= 0 else { throw .invalidRadius(radius) }
        return radius
    }

    /// The distance between two valid positions: Euclidean on a plane, great-circle metres on a sphere,
    /// shortest wrapped Euclidean distance on a torus.
    public func distance(_ a: Position, _ b: Position) -> Double {
        switch self {
        case .plane:
            let dx = b.x - a.x, dy = b.y - a.y
            return cSqrt(dx * dx + dy * dy)
        case .sphere(let radius):
            return radius * Self.centralAngle(a, b)
        case .torus(let width, let height):
            let dx = Self.wrappedDelta(b.x - a.x, width), dy = Self.wrappedDelta(b.y - a.y, height)
            return cSqrt(dx * dx + dy * dy)
        }
    }

    /// Whether `position` lies in the closed circle (spherical cap on a sphere) of `radius` around `center`.
    public func contains(center: Position, radius: Double, _ position: Position) -> Bool {
        distance(center, position) <= radius
    }

    /// The angle between two points (longitude `x`, latitude `y`) in radians (haversine; stable for near
    /// and far points). Zero exactly between two spellings of one point: any longitudes at a pole, 180
    /// and -180.
    static func centralAngle(_ a: Position, _ b: Position) -> Double {
        let phi1 = radians(a.latitude), phi2 = radians(b.latitude)
        let sinHalfPhi = cSin((phi2 - phi1) / 2)
        let sinHalfLambda = cSin(radians(canonicalLongitude(b) - canonicalLongitude(a)) / 2)
        let h = sinHalfPhi * sinHalfPhi + cosLatitude(a) * cosLatitude(b) * sinHalfLambda * sinHalfLambda
        let clamped = min(1, max(0, h))
        return 2 * cAtan2(cSqrt(clamped), cSqrt(1 - clamped))
    }

    /// The unit vector of a point (longitude `x`, latitude `y`): x towards longitude 0, z towards the north
    /// pole. Every spelling of one point gives the same vector, exactly.
    static func unitVector(_ position: Position) -> (x: Double, y: Double, z: Double) {
        if position.latitude == 90 { return (0, 0, 1) }
        if position.latitude == -90 { return (0, 0, -1) }
        let phi = radians(position.latitude), lambda = radians(canonicalLongitude(position))
        let cosPhi = cCos(phi)
        return (cosPhi * cCos(lambda), cosPhi * cSin(lambda), cSin(phi))
    }

    /// The cosine of the latitude, exactly 0 at the poles: the floating-point cosine of 90° is 6e-17,
    /// which would put the longitudes of a pole 1 nm apart and make the nodes there distinct points.
    private static func cosLatitude(_ position: Position) -> Double {
        position.latitude.magnitude == 90 ? 0 : cCos(radians(position.latitude))
    }

    /// Longitude 180 written as -180 (one meridian, two spellings), so both give identical results.
    private static func canonicalLongitude(_ position: Position) -> Double {
        position.longitude == 180 ? -180 : position.longitude
    }

    /// `value` wrapped into `[0, period)`.
    static func wrap(_ value: Double, _ period: Double) -> Double {
        let wrapped = value - period * (value / period).rounded(.down)
        return wrapped >= period || wrapped < 0 ? 0 : wrapped
    }

    /// A coordinate difference wrapped into `[-period/2, period/2]`.
    static func wrappedDelta(_ delta: Double, _ period: Double) -> Double {
        delta - period * (delta / period).rounded(.toNearestOrEven)
    }
}
