@testable import ColonioCore

/// The hard layouts of issue #17 for each space: nodes sharing one position (2, 3, 50, all of them), one
/// node alone, several nodes at a pole with different longitudes, both sides of the date line, the torus
/// seams and corners, collinear and cocircular sets. Geometry tests and pub/sub simulations use the same
/// list so that every layout is checked at both levels.
struct DegenerateLayout: CustomStringConvertible {
    var name: String
    var positions: [Position]
    /// Whether four or more points lie on one circle: any triangulation of such a set is Delaunay, and
    /// nodes' local views (floating point) may pick other diagonals than the whole graph (exact).
    var cocircular = false
    /// Whether nodes' local views may miss an edge of the whole graph entirely: a lattice on a torus, whose
    /// cocircular quadrilaterals have a diagonal to a copy that is not the nearest one, which a local view
    /// (nearest copies only) never considers. Pub/sub must still be exact (the quadrilateral's sides carry
    /// it), which the spread tests check.
    var localViewsMayMissDiagonals = false

    var description: String { name }

    static func all(in space: CoordinateSpace) -> [DegenerateLayout] {
        var random = SplitMix64(seed: 17)
        func scattered(_ count: Int) -> [Position] {
            (0..<count).map { _ in randomPosition(in: space, using: &random) }
        }
        func repeated(_ position: Position, _ count: Int) -> [Position] { Array(repeating: position, count: count) }
        var layouts: [DegenerateLayout] = []
        let base = scattered(30)
        layouts.append(.init(name: "two on one point", positions: base + [base[4]]))
        layouts.append(.init(name: "three on one point", positions: base + repeated(base[7], 2)))
        layouts.append(.init(name: "fifty on one point", positions: scattered(40) + repeated(base[11], 50)))
        layouts.append(.init(name: "several shared points", positions: base + repeated(base[1], 3) + repeated(base[2], 2)
                                 + repeated(base[3], 4)))
        layouts.append(.init(name: "all on one point", positions: repeated(base[5], 12)))
        layouts.append(.init(name: "one alone", positions: [base[6]]))
        layouts.append(.init(name: "two alone on one point", positions: repeated(base[6], 2)))
        switch space {
        case .plane(let width, let height), .torus(let width, let height):
            // Corners and edges (the seams on a torus: x = width is x = 0 there), each taken twice.
            let edges = [Position(x: 0, y: 0), Position(x: width, y: 0), Position(x: 0, y: height), Position(x: width, y: height),
                         Position(x: width / 2, y: 0), Position(x: 0, y: height / 2), Position(x: width, y: height / 3),
                         Position(x: width / 4, y: height)]
            layouts.append(.init(name: "corners and edges, doubled", positions: base + edges + edges))
            // A line through the middle, with one point taken three times. Integer coordinates: exactly
            // collinear (points a rounding error off a line are a different, near-degenerate case).
            let line = (0..<12).map { Position(x: (width * 0.08).rounded() * Double($0), y: (height * 0.04).rounded() * Double($0) + height / 4) }
            // On a torus the copies of a line form a lattice: cocircular points everywhere.
            let lattice = space == .torus(width: width, height: height)
            layouts.append(.init(name: "collinear", positions: line + repeated(line[5], 2), cocircular: lattice,
                                 localViewsMayMissDiagonals: lattice))
            layouts.append(.init(name: "collinear with others", positions: base + line + repeated(line[8], 3)))
            // A regular grid: every cell's corners are cocircular; every grid point is taken twice.
            var grid: [Position] = []
            for x in 0..<5 { for y in 0..<5 { grid.append(Position(x: width * Double(x) / 5 + 7, y: height * Double(y) / 5 + 3)) } }
            layouts.append(.init(name: "doubled grid", positions: grid + grid, cocircular: true))
            // Twelve points on one circle around a shared centre.
            let offsets: [(Double, Double)] = [(5, 0), (4, 3), (3, 4), (0, 5), (-3, 4), (-4, 3), (-5, 0), (-4, -3), (-3, -4),
                                               (0, -5), (3, -4), (4, -3)]
            let ring = offsets.map { Position(x: width / 2 + $0.0 * width / 50, y: height / 2 + $0.1 * height / 50) }
            layouts.append(.init(name: "cocircular around a shared centre",
                                 positions: base + ring + repeated(Position(x: width / 2, y: height / 2), 3), cocircular: true))
        case .sphere:
            let north = [0.0, 120, 33].map { Position(latitude: 90, longitude: $0) }
            layouts.append(.init(name: "three at the north pole", positions: base + north))
            layouts.append(.init(name: "several at both poles",
                                 positions: base + north + [-180.0, -45, 0, 90, 180].map { Position(latitude: -90, longitude: $0) }))
            layouts.append(.init(name: "only nodes at one pole", positions: (0..<6).map { Position(latitude: 90, longitude: Double($0 * 60 - 180)) }))
            // The date line from both sides: longitude 180 and -180 are one meridian.
            let dateLine = [-60.0, -10, 0, 25, 70].flatMap {
                [Position(latitude: $0, longitude: 180), Position(latitude: $0, longitude: -180)]
            }
            layouts.append(.init(name: "both sides of the date line", positions: base + dateLine))
            // Eight points on the equator (one circle), each taken twice, plus scattered nodes.
            let equator = (0..<8).map { Position(latitude: 0, longitude: Double($0 * 45 - 180)) }
            layouts.append(.init(name: "doubled equator", positions: base + equator + equator, cocircular: true))
            layouts.append(.init(name: "only the doubled equator", positions: equator + equator, cocircular: true))
        }
        return layouts
    }
}

/// Whether two valid positions are the same point of `space`, decided without the code under test: equal
/// coordinates after validation (a torus wraps), and on a sphere every longitude at a pole and longitudes
/// 180 and -180 on one parallel.
func samePoint(_ a: Position, _ b: Position, in space: CoordinateSpace) -> Bool {
    let a = try! space.validated(a), b = try! space.validated(b)
    guard case .sphere = space else { return a == b }
    guard a.latitude == b.latitude else { return false }
    if a.latitude.magnitude == 90 { return true }
    return a.longitude == b.longitude || a.longitude.magnitude == 180 && b.longitude.magnitude == 180
}
