import Testing
@testable import ColonioCore

@Suite struct GeometryTests {
    let earth = CoordinateSpace.sphere(radius: 6_371_000)
    let plane = CoordinateSpace.plane(width: 100, height: 50)
    let torus = CoordinateSpace.torus(width: 100, height: 50)

    @Test func invalidPositionsAreRejectedWithTheReason() {
        #expect(throws: GeometryError.latitudeOutOfRange(90.5)) { try earth.validated(Position(latitude: 90.5, longitude: 0)) }
        #expect(throws: GeometryError.latitudeOutOfRange(-91)) { try earth.validated(Position(latitude: -91, longitude: 0)) }
        #expect(throws: GeometryError.longitudeOutOfRange(180.5)) {
            try earth.validated(Position(latitude: 0, longitude: 180.5))
        }
        #expect(throws: GeometryError.notFinite) { try earth.validated(Position(latitude: .nan, longitude: 0)) }
        #expect(throws: GeometryError.notFinite) { try torus.validated(Position(x: .infinity, y: 0)) }
        #expect(throws: GeometryError.outsidePlane(x: 100.5, y: 1, width: 100, height: 50)) {
            try plane.validated(Position(x: 100.5, y: 1))
        }
        #expect(throws: GeometryError.outsidePlane(x: 1, y: -0.1, width: 100, height: 50)) {
            try plane.validated(Position(x: 1, y: -0.1))
        }
        #expect(throws: GeometryError.invalidRadius(-1)) { try plane.validatedRadius(-1) }
        #expect(GeometryError.latitudeOutOfRange(91).description.contains("[-90, 90]"))
    }

    @Test func validPositionsPassAndTorusPositionsWrap() throws {
        #expect(try plane.validated(Position(x: 100, y: 50)) == Position(x: 100, y: 50))
        #expect(try earth.validated(Position(latitude: -90, longitude: 180)) == Position(latitude: -90, longitude: 180))
        #expect(try torus.validated(Position(x: -1, y: 51)) == Position(x: 99, y: 1))
        #expect(try torus.validated(Position(x: 100, y: -50)) == Position(x: 0, y: 0))
        #expect(try torus.validated(Position(x: 250, y: 125)) == Position(x: 50, y: 25))
    }

    @Test func planeAndTorusDistances() {
        #expect(plane.distance(Position(x: 1, y: 2), Position(x: 4, y: 6)) == 5)
        #expect(torus.distance(Position(x: 1, y: 1), Position(x: 98, y: 47)) == 5)
        #expect(torus.distance(Position(x: 0, y: 0), Position(x: 50, y: 25)) == plane.distance(Position(x: 0, y: 0), Position(x: 50, y: 25)))
        #expect(torus.distance(Position(x: 99, y: 10), Position(x: 1, y: 10)) == 2)
        #expect(torus.distance(Position(x: 10, y: 49), Position(x: 10, y: 1)) == 2)
    }

    @Test func greatCircleDistances() {
        let radius = 6_371_000.0
        let quarter = radius * Double.pi / 2
        #expect(abs(earth.distance(Position(latitude: 0, longitude: 0), Position(latitude: 0, longitude: 90)) - quarter) < 1e-6)
        #expect(abs(earth.distance(Position(latitude: 0, longitude: 0), Position(latitude: 90, longitude: 0)) - quarter) < 1e-6)
        // Across the date line: one degree, not 359.
        let degree = radius * Double.pi / 180
        #expect(abs(earth.distance(Position(latitude: 0, longitude: 179.5), Position(latitude: 0, longitude: -179.5)) - degree) < 1e-6)
        // At a pole every longitude is the same point.
        #expect(earth.distance(Position(latitude: 90, longitude: 0), Position(latitude: 90, longitude: 123)) < 1e-6)
        #expect(abs(earth.distance(Position(latitude: 89, longitude: 0), Position(latitude: 89, longitude: 180)) - 2 * degree) < 1e-6)
        // Antipodes: half the circumference (haversine keeps about 8 digits there).
        #expect(abs(earth.distance(Position(latitude: 10, longitude: 20), Position(latitude: -10, longitude: -160)) - radius * Double.pi) < 1)
        // Tokyo - London, about 9,560 km.
        let tokyo = Position(latitude: 35.6762, longitude: 139.6503), london = Position(latitude: 51.5074, longitude: -0.1278)
        #expect(abs(earth.distance(tokyo, london) - 9_558_700) < 5_000)
        #expect(earth.contains(center: Position(latitude: 0, longitude: 180), radius: degree, Position(latitude: 0, longitude: -179.5)))
    }
}
