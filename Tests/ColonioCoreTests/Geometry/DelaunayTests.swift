import Testing
@testable import ColonioCore

/// Independent oracle: `(i, j)` is a Delaunay edge of points in general position iff some circle through
/// both has no other point strictly inside (circles through i and j parameterised along the bisector).
func bruteForcePlaneEdge(_ points: [(Double, Double)], _ i: Int, _ j: Int) -> Bool {
    let (ax, ay) = points[i], (bx, by) = points[j]
    let mx = (ax + bx) / 2, my = (ay + by) / 2
    let dx = -(by - ay), dy = bx - ax  // left normal
    var lowest = -Double.infinity, highest = Double.infinity
    for k in points.indices where k != i && k != j {
        let (px, py) = points[k]
        let side = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
        // Parameter t of the circle through a, b, k: centre m + t * d.
        let t = ((px - mx) * (px - mx) + (py - my) * (py - my) - ((ax - mx) * (ax - mx) + (ay - my) * (ay - my)))
            / (2 * ((px - mx) * dx + (py - my) * dy))
        if side > 0 { highest = min(highest, t) } else if side < 0 { lowest = max(lowest, t) } else {
            let along = (px - ax) * (bx - ax) + (py - ay) * (by - ay)
            if along > 0 && along < (bx - ax) * (bx - ax) + (by - ay) * (by - ay) { return false }
        }
    }
    return lowest <= highest
}

func randomPositions(_ count: Int, in space: CoordinateSpace, seed: UInt64) -> [Position] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in randomPosition(in: space, using: &random) }
}

func randomPosition(in space: CoordinateSpace, using random: inout SplitMix64) -> Position {
    switch space {
    case .plane(let width, let height), .torus(let width, let height):
        return Position(x: Double.random(in: 0..<width, using: &random), y: Double.random(in: 0..<height, using: &random))
    case .sphere:
        // Uniform on the sphere: z uniform in [-1, 1].
        let z = Double.random(in: -1...1, using: &random)
        let latitude = cAsin(z) * 180 / Double.pi
        return Position(latitude: latitude, longitude: Double.random(in: -180...180, using: &random))
    }
}

private func edgeCount(_ graph: DelaunayGraph) -> Int {
    graph.neighbours.reduce(0) { $0 + $1.count } / 2
}

private func isSymmetric(_ graph: DelaunayGraph) -> Bool {
    graph.neighbours.indices.allSatisfy { i in graph.neighbours[i].allSatisfy { graph.areNeighbours($0, i) } }
}

@Suite struct DelaunayTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func planeMatchesBruteForceOracle(seed: UInt64) {
        let space = CoordinateSpace.plane(width: 1000, height: 600)
        let positions = randomPositions(70, in: space, seed: seed)
        let graph = DelaunayGraph(positions, in: space)
        let points = positions.map { ($0.x, $0.y) }
        for i in points.indices {
            for j in points.indices where i < j {
                #expect(graph.areNeighbours(i, j) == bruteForcePlaneEdge(points, i, j), "edge \(i)-\(j)")
            }
        }
        #expect(isSymmetric(graph))
    }

    @Test func planeTrianglesHaveEmptyCircumcircles() {
        let space = CoordinateSpace.plane(width: 1, height: 1)
        let positions = randomPositions(1000, in: space, seed: 7)
        let graph = DelaunayGraph(positions, in: space)
        let points = positions.map { ($0.x, $0.y) }
        for (a, b, c) in graph.triangles {
            let circle = DelaunayGraph.circumcircle(points[a], points[b], points[c])!
            for (index, point) in points.enumerated() where index != a && index != b && index != c {
                let dx = point.0 - circle.x, dy = point.1 - circle.y
                #expect(cSqrt(dx * dx + dy * dy) >= circle.radius * (1 - 1e-9))
            }
        }
        // A triangulation of n points with h on the hull has 2n - 2 - h triangles and 3n - 3 - h edges.
        let hull = graph.triangles.count
        #expect(edgeCount(graph) == 3 * 1000 - 3 - (2 * 1000 - 2 - hull))
    }

    @Test func degeneratePlaneInputs() {
        let space = CoordinateSpace.plane(width: 100, height: 100)
        // A 10x10 grid: every cell's corners are cocircular, the boundary points collinear.
        var grid: [Position] = []
        for x in 0..<10 { for y in 0..<10 { grid.append(Position(x: Double(x), y: Double(y))) } }
        let gridGraph = DelaunayGraph(grid, in: space)
        #expect(gridGraph.triangles.count == 2 * 100 - 2 - 36)
        #expect(edgeCount(gridGraph) == 3 * 100 - 3 - 36)
        for (a, b, c) in gridGraph.triangles {
            let circle = DelaunayGraph.circumcircle((grid[a].x, grid[a].y), (grid[b].x, grid[b].y), (grid[c].x, grid[c].y))!
            for point in grid {
                let dx = point.x - circle.x, dy = point.y - circle.y
                #expect(dx * dx + dy * dy >= circle.radius * circle.radius - 1e-9)
            }
        }
        // Collinear points: a path.
        let line = (0..<10).map { Position(x: Double(9 - $0) * 3, y: Double(9 - $0) * 2) }
        let lineGraph = DelaunayGraph(line, in: space)
        #expect(lineGraph.neighbours[0] == [1])
        #expect(lineGraph.neighbours[5] == [4, 6])
        #expect(edgeCount(lineGraph) == 9)
        // Twelve points exactly on one circle: the polygon plus a fan.
        let offsets: [(Double, Double)] = [(5, 0), (4, 3), (3, 4), (0, 5), (-3, 4), (-4, 3), (-5, 0), (-4, -3), (-3, -4),
                                           (0, -5), (3, -4), (4, -3)]
        let circle = offsets.map { Position(x: $0.0 + 10, y: $0.1 + 10) }
        let circleGraph = DelaunayGraph(circle, in: space)
        #expect(edgeCount(circleGraph) == 21)
        #expect(circle.indices.allSatisfy { circleGraph.areNeighbours($0, ($0 + 1) % 12) })
        // Duplicates share neighbours and are linked; tiny inputs.
        let duplicates = [Position(x: 1, y: 1), Position(x: 5, y: 1), Position(x: 1, y: 5), Position(x: 5, y: 1)]
        let duplicateGraph = DelaunayGraph(duplicates, in: space)
        #expect(duplicateGraph.neighbours == [[1, 2, 3], [0, 2, 3], [0, 1, 3], [0, 1, 2]])
        #expect(DelaunayGraph([], in: space).neighbours.isEmpty)
        #expect(DelaunayGraph([Position(x: 1, y: 1)], in: space).neighbours == [[]])
        #expect(DelaunayGraph([Position(x: 1, y: 1), Position(x: 2, y: 2)], in: space).neighbours == [[1], [0]])
        #expect(DelaunayGraph(Array(repeating: Position(x: 3, y: 3), count: 3), in: space).neighbours == [[1, 2], [0, 2], [0, 1]])
    }

    @Test func sphereTrianglesHaveEmptyCaps() {
        let space = CoordinateSpace.sphere(radius: 1)
        var positions = randomPositions(800, in: space, seed: 11)
        // The poles, points on both sides of the date line and around the poles.
        positions += [Position(latitude: 90, longitude: 0), Position(latitude: -90, longitude: 0)]
        for step in 0..<12 {
            positions.append(Position(latitude: 89.5, longitude: Double(step * 30 - 180)))
            positions.append(Position(latitude: Double(step * 10 - 55), longitude: 179.9))
            positions.append(Position(latitude: Double(step * 10 - 55), longitude: -179.9))
        }
        let graph = DelaunayGraph(positions, in: space)
        let vectors = positions.map { CoordinateSpace.unitVector($0) }
        #expect(graph.triangles.count == 2 * positions.count - 4)
        #expect(edgeCount(graph) == 3 * positions.count - 6)
        #expect(isSymmetric(graph))
        for (a, b, c) in graph.triangles {
            let u = vectors[a], v = vectors[b], w = vectors[c]
            let e = (v.x - u.x, v.y - u.y, v.z - u.z), f = (w.x - u.x, w.y - u.y, w.z - u.z)
            let n = (e.1 * f.2 - e.2 * f.1, e.2 * f.0 - e.0 * f.2, e.0 * f.1 - e.1 * f.0)
            for (index, p) in vectors.enumerated() where index != a && index != b && index != c {
                let side = (p.x - u.x) * n.0 + (p.y - u.y) * n.1 + (p.z - u.z) * n.2
                #expect(side <= 1e-15, "point \(index) inside the cap of \(a) \(b) \(c)")
            }
        }
        // Neighbours across the date line and at the pole are found.
        let north = positions.count - 36 - 2
        #expect(graph.areNeighbours(north, north + 2))
    }

    @Test func sphereWithAllPointsInOneHemisphere() {
        let space = CoordinateSpace.sphere(radius: 1)
        var random = SplitMix64(seed: 5)
        let positions = (0..<300).map { _ in
            Position(latitude: Double.random(in: 30...60, using: &random), longitude: Double.random(in: 120...150, using: &random))
        }
        let graph = DelaunayGraph(positions, in: space)
        #expect(graph.triangles.count == 2 * 300 - 4)
        #expect(isSymmetric(graph))
        #expect(graph.neighbours.allSatisfy { $0.count >= 3 })
        // The equator as a single circle: a cycle.
        let equator = (0..<8).map { Position(latitude: 0, longitude: Double($0 * 45 - 180)) }
        let cycle = DelaunayGraph(equator, in: space)
        #expect(edgeCount(cycle) == 8)
        #expect(cycle.areNeighbours(0, 1) && cycle.areNeighbours(0, 7))
    }

    @Test func torusMatchesOracleOnCopiesAndIsTranslationInvariant() {
        let width = 300.0, height = 200.0
        let space = CoordinateSpace.torus(width: width, height: height)
        let positions = randomPositions(30, in: space, seed: 3)
        let graph = DelaunayGraph(positions, in: space)
        // Oracle on 5x5 copies: i and j are neighbours iff some copy of j shares an empty circle with i.
        var copies: [(Double, Double)] = positions.map { ($0.x, $0.y) }
        for dx in -2...2 {
            for dy in -2...2 where dx != 0 || dy != 0 {
                copies += positions.map { ($0.x + Double(dx) * width, $0.y + Double(dy) * height) }
            }
        }
        for i in positions.indices {
            var expected = Set<Int>()
            for j in copies.indices where j % positions.count != i && bruteForcePlaneEdge(copies, i, j) {
                expected.insert(j % positions.count)
            }
            #expect(Set(graph.neighbours[i]) == expected, "node \(i)")
        }
        // Shifting every point across both seams changes nothing.
        let larger = randomPositions(500, in: space, seed: 4)
        let base = DelaunayGraph(larger, in: space)
        for (shiftX, shiftY) in [(0.37, 0.61), (0.5, 0.0), (0.0, 0.93)] {
            let shifted = larger.map { try! space.validated(Position(x: $0.x + shiftX * width, y: $0.y + shiftY * height)) }
            #expect(DelaunayGraph(shifted, in: space).neighbours == base.neighbours)
        }
        #expect(isSymmetric(base))
        #expect(edgeCount(base) == 3 * 500)  // a torus triangulation has exactly 3n edges
    }

    @Test func sparseTorus() {
        let space = CoordinateSpace.torus(width: 10, height: 10)
        #expect(DelaunayGraph([Position(x: 1, y: 1)], in: space).neighbours == [[]])
        #expect(DelaunayGraph([Position(x: 1, y: 1), Position(x: 6, y: 3)], in: space).neighbours == [[1], [0]])
        let three = DelaunayGraph([Position(x: 1, y: 1), Position(x: 6, y: 3), Position(x: 3, y: 8)], in: space)
        #expect(three.neighbours == [[1, 2], [0, 2], [0, 1]])
    }

    @Test(arguments: [CoordinateSpace.plane(width: 500, height: 500), .sphere(radius: 1), .torus(width: 500, height: 500)])
    func localNeighboursOfFirstMatchTheWholeGraph(space: CoordinateSpace) {
        let positions = randomPositions(400, in: space, seed: 9)
        let graph = DelaunayGraph(positions, in: space)
        for node in stride(from: 0, to: 400, by: 37) {
            // The node's two-hop neighbourhood is enough to know its neighbours.
            var known = Set(graph.neighbours[node])
            for neighbour in graph.neighbours[node] { known.formUnion(graph.neighbours[neighbour]) }
            known.remove(node)
            let order = [node] + known.sorted()
            let local = DelaunayGraph.neighboursOfFirst(order.map { positions[$0] }, in: space).map { order[$0] }
            #expect(local.sorted() == graph.neighbours[node], "node \(node)")
        }
    }
}
