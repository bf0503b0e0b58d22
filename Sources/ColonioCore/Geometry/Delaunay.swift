/// The Delaunay graph of a set of positions in a ``CoordinateSpace``'s own geometry.
///
/// - Plane: the Delaunay triangulation of the points (lower convex hull of the points lifted onto a
///   paraboloid).
/// - Sphere: the spherical Delaunay triangulation (convex hull of the unit vectors), so the date line and
///   the poles are ordinary places.
/// - Torus: the periodic Delaunay triangulation (the plane triangulation of 3x3 copies, or more rings of
///   copies when the points are too sparse for 3x3 to be exact, keeping edges that touch the central copy).
///
/// Coordinates are rounded to an integer grid (2^28 steps across the points' extent on a plane or torus,
/// 2^39 per unit on the sphere) so that predicates are exact. Points that coincide on that grid share their
/// representative's neighbours and are linked to it, so every point is connected.
public struct DelaunayGraph: Sendable {
    /// Neighbour indices of each input position, ascending, without the position itself.
    public var neighbours: [[Int]]
    /// Triangles as input indices, counter-clockwise (seen from outside on the sphere). Only the plane and
    /// the sphere list triangles; a torus graph leaves this empty.
    public var triangles: [(Int, Int, Int)]

    /// Triangulates `positions` (already validated with ``CoordinateSpace/validated(_:)``) in `space`.
    public init(_ positions: [Position], in space: CoordinateSpace) {
        switch space {
        case .plane:
            self = DelaunayGraph.plane(positions.map { ($0.x, $0.y) })
        case .sphere:
            self = DelaunayGraph.sphere(positions)
        case .torus(let width, let height):
            self = DelaunayGraph.torus(positions, width: width, height: height)
        }
    }

    init(neighbours: [[Int]], triangles: [(Int, Int, Int)]) {
        self.neighbours = neighbours
        self.triangles = triangles
    }

    /// Whether `i` and `j` are neighbours.
    public func areNeighbours(_ i: Int, _ j: Int) -> Bool {
        binarySearch(neighbours[i], j)
    }

    /// The Delaunay neighbours of `positions[0]` among `positions` (a node's view of its known nodes).
    ///
    /// Positions on one point (``CoincidentSites``) count as one site: the first position's site-mates
    /// are all its neighbours, and every position of a neighbouring site is a neighbour, as in the whole
    /// graph. Sites are tested directly for an empty circle through them and the first site (O(k^2) for
    /// k sites, cheaper than a whole triangulation for the few dozen points a node knows). On an exactly
    /// cocircular configuration the floating-point test may report both diagonals of a square or either
    /// one, harmless for routing and spread (the square's sides are edges). On a torus every point is
    /// unwrapped to its copy nearest the first one; only when the result cannot be proven periodic-exact
    /// (few points, or circles leaving the unwrapped window) does it fall back to the copies construction.
    public static func neighboursOfFirst(_ positions: [Position], in space: CoordinateSpace) -> [Int] {
        guard positions.count > 1 else { return [] }
        let sites = CoincidentSites(positions, in: space)
        var result = sites.members[0].filter { $0 != 0 }
        for site in neighboursOfFirstSite(sites.representatives.map { positions[$0] }, in: space) {
            result += sites.members[site]
        }
        return result.sorted()
    }

    /// ``neighboursOfFirst(_:in:)`` for distinct points.
    static func neighboursOfFirstSite(_ positions: [Position], in space: CoordinateSpace) -> [Int] {
        guard positions.count > 1 else { return [] }
        switch space {
        case .plane:
            let points = positions.map { ($0.x, $0.y) }
            return (1..<points.count).filter { planeEdgeCircle(points, 0, $0) != nil }
        case .sphere:
            let vectors = positions.map { CoordinateSpace.unitVector($0) }
            return (1..<vectors.count).filter { sphereEdge(vectors, 0, $0) }
        case .torus(let width, let height):
            let origin = positions[0]
            let points = positions.map {
                (origin.x + CoordinateSpace.wrappedDelta($0.x - origin.x, width),
                 origin.y + CoordinateSpace.wrappedDelta($0.y - origin.y, height))
            }
            var result: [Int] = []
            var angles: [Double] = []
            var exact = positions.count >= 12
            for candidate in 1..<points.count {
                guard let circle = planeEdgeCircle(points, 0, candidate) else { continue }
                result.append(candidate)
                angles.append(cAtan2(points[candidate].1 - origin.y, points[candidate].0 - origin.x))
                if (circle.x - origin.x).magnitude + circle.radius >= width / 2
                    || (circle.y - origin.y).magnitude + circle.radius >= height / 2 {
                    exact = false
                }
            }
            // Surrounded (no angular gap of half a turn) and every witness circle inside the window.
            if exact && !hasHalfTurnGap(angles) { return result }
            return torus(positions, width: width, height: height).neighbours[0]
        }
    }

    /// The smallest empty circle through points `i` and `j`, or `nil` when none exists (so `i`-`j` is not
    /// a Delaunay edge). Circles through both are parameterised by their centre on the bisector.
    static func planeEdgeCircle(_ points: [(Double, Double)], _ i: Int, _ j: Int) -> (x: Double, y: Double, radius: Double)? {
        let (ax, ay) = points[i], (bx, by) = points[j]
        guard ax != bx || ay != by else { return (ax, ay, 0) }
        let mx = (ax + bx) / 2, my = (ay + by) / 2
        let dx = -(by - ay), dy = bx - ax
        let half = (ax - mx) * (ax - mx) + (ay - my) * (ay - my)
        var lowest = -Double.infinity, highest = Double.infinity
        for k in points.indices where k != i && k != j {
            let (px, py) = points[k]
            let side = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
            if side == 0 {
                let along = (px - ax) * (bx - ax) + (py - ay) * (by - ay)
                if along >= 0 && along <= (bx - ax) * (bx - ax) + (by - ay) * (by - ay) { return nil }
                continue
            }
            let t = ((px - mx) * (px - mx) + (py - my) * (py - my) - half) / (2 * ((px - mx) * dx + (py - my) * dy))
            if side > 0 { highest = min(highest, t) } else { lowest = max(lowest, t) }
            if lowest > highest { return nil }
        }
        let t = min(max(0, lowest), highest)
        let cx = mx + t * dx, cy = my + t * dy
        return (cx, cy, cSqrt((cx - ax) * (cx - ax) + (cy - ay) * (cy - ay)))
    }

    /// Whether some spherical cap through unit vectors `i` and `j` contains no other point: every plane
    /// through both has its normal in the plane spanned by `e1`, `e2`; a cap side is empty iff the other
    /// points, seen in that basis, fit in a half-turn.
    private static func sphereEdge(_ vectors: [(x: Double, y: Double, z: Double)], _ i: Int, _ j: Int) -> Bool {
        let u = vectors[i], v = vectors[j]
        var g = (v.x - u.x, v.y - u.y, v.z - u.z)
        let gLength = cSqrt(g.0 * g.0 + g.1 * g.1 + g.2 * g.2)
        guard gLength > 0 else { return true }
        g = (g.0 / gLength, g.1 / gLength, g.2 / gLength)
        var e1 = (u.x + v.x, u.y + v.y, u.z + v.z)
        let e1Length = cSqrt(e1.0 * e1.0 + e1.1 * e1.1 + e1.2 * e1.2)
        guard e1Length > 0 else { return true }  // antipodes: every great circle through both
        e1 = (e1.0 / e1Length, e1.1 / e1Length, e1.2 / e1Length)
        let e2 = (g.1 * e1.2 - g.2 * e1.1, g.2 * e1.0 - g.0 * e1.2, g.0 * e1.1 - g.1 * e1.0)
        // The feasible normals form a cone from `right` counter-clockwise to `left`, clipped by each point.
        var right = (0.0, 0.0), left = (0.0, 0.0)
        var started = false
        func cross(_ p: (Double, Double), _ q: (Double, Double)) -> Double { p.0 * q.1 - p.1 * q.0 }
        for k in vectors.indices where k != i && k != j {
            let w = (vectors[k].x - u.x, vectors[k].y - u.y, vectors[k].z - u.z)
            let a = w.0 * e1.0 + w.1 * e1.1 + w.2 * e1.2, b = w.0 * e2.0 + w.1 * e2.1 + w.2 * e2.2
            if a == 0 && b == 0 { continue }
            let boundary = (-b, a)
            guard started else {
                right = boundary
                left = (b, -a)
                started = true
                continue
            }
            let r = right.0 * a + right.1 * b, l = left.0 * a + left.1 * b
            if r <= 0 && l <= 0 { continue }
            if r > 0 && l > 0 { return false }
            let inside = cross(right, boundary) >= 0 && cross(boundary, left) >= 0 ? boundary : (b, -a)
            if r > 0 { right = inside } else { left = inside }
        }
        return true
    }

    /// Whether the angles leave an empty arc of at least half a turn.
    private static func hasHalfTurnGap(_ values: [Double]) -> Bool {
        guard values.count >= 2 else { return true }
        let sorted = values.sorted()
        var gap = sorted[0] + 2 * Double.pi - sorted[sorted.count - 1]
        for index in 1..<sorted.count { gap = max(gap, sorted[index] - sorted[index - 1]) }
        return gap >= Double.pi
    }

    // MARK: - Plane

    /// Grid steps across the points' extent; keeps lifted coordinates within the exact predicate's range.
    private static let planeGrid = Double(1 << 28)

    static func plane(_ points: [(Double, Double)]) -> DelaunayGraph {
        let count = points.count
        guard count > 0 else { return DelaunayGraph(neighbours: [], triangles: []) }
        var minX = points[0].0, maxX = points[0].0, minY = points[0].1, maxY = points[0].1
        for (x, y) in points {
            minX = min(minX, x)
            maxX = max(maxX, x)
            minY = min(minY, y)
            maxY = max(maxY, y)
        }
        let span = max(maxX - minX, maxY - minY)
        // A power of two, so integer and binary-fraction coordinates (grids, lines) stay exact.
        var scale = 1.0
        if span > 0 {
            while span * scale * 2 <= planeGrid { scale *= 2 }
            while span * scale > planeGrid { scale /= 2 }
        }
        var quantized: [ConvexHull3D.Point] = []
        quantized.reserveCapacity(count)
        for (x, y) in points {
            let qx = Int64(((x - minX) * scale).rounded()), qy = Int64(((y - minY) * scale).rounded())
            quantized.append(ConvexHull3D.Point(x: qx, y: qy, z: qx * qx + qy * qy))
        }
        var groups = Representatives(count: count)
        var firstAt: [Int64: Int] = [:]
        for index in 0..<count {
            let key = quantized[index].x << 32 | quantized[index].y
            if let first = firstAt[key] {
                groups.attach(index, to: first)
            } else {
                firstAt[key] = index
                groups.addRepresentative(index)
            }
        }
        let reps = groups.representatives
        let repPoints = reps.map { quantized[$0] }
        var builder = GraphBuilder(count: count)
        if reps.count <= 3 || allCollinear(repPoints) {
            if reps.count == 3 && !allCollinear(repPoints) {
                let (a, b, c) = orient2D(repPoints[0], repPoints[1], repPoints[2]) > 0 ? (0, 1, 2) : (0, 2, 1)
                builder.addTriangle(reps[a], reps[b], reps[c])
            } else {
                let sorted = (0..<reps.count).sorted {
                    (repPoints[$0].x, repPoints[$0].y) < (repPoints[$1].x, repPoints[$1].y)
                }
                for index in sorted.indices.dropLast() { builder.addEdge(reps[sorted[index]], reps[sorted[index + 1]]) }
            }
        } else {
            let hull = ConvexHull3D(points: repPoints, seed: UInt64(reps.count))
            if hull.isDegenerate {
                // All points on one circle: any triangulation of the polygon is Delaunay; use a fan.
                let cycle = angularOrder(reps.map { points[$0] })
                for index in 1..<(cycle.count - 1) {
                    builder.addTriangle(reps[cycle[0]], reps[cycle[index]], reps[cycle[index + 1]])
                }
            } else {
                for (a, b, c) in hull.faces where orient2D(repPoints[a], repPoints[b], repPoints[c]) < 0 {
                    builder.addTriangle(reps[a], reps[c], reps[b])
                }
            }
        }
        return builder.finish(groups)
    }

    private static func orient2D(_ a: ConvexHull3D.Point, _ b: ConvexHull3D.Point, _ c: ConvexHull3D.Point) -> Int {
        let value = Int128(b.x - a.x) * Int128(c.y - a.y) - Int128(b.y - a.y) * Int128(c.x - a.x)
        return value > 0 ? 1 : (value < 0 ? -1 : 0)
    }

    private static func allCollinear(_ points: [ConvexHull3D.Point]) -> Bool {
        guard points.count >= 3 else { return true }
        guard let second = points.firstIndex(where: { $0.x != points[0].x || $0.y != points[0].y }) else { return true }
        return points.allSatisfy { orient2D(points[0], points[second], $0) == 0 }
    }

    /// Indices of points lying on one circle (or any convex position) in counter-clockwise order.
    private static func angularOrder(_ points: [(Double, Double)]) -> [Int] {
        var cx = 0.0, cy = 0.0
        for (x, y) in points {
            cx += x
            cy += y
        }
        cx /= Double(points.count)
        cy /= Double(points.count)
        let angles = points.map { cAtan2($0.1 - cy, $0.0 - cx) }
        return points.indices.sorted { angles[$0] < angles[$1] }
    }

    /// Centre and radius of the circle through three points, or `nil` when they are collinear.
    static func circumcircle(
        _ a: (Double, Double), _ b: (Double, Double), _ c: (Double, Double)
    ) -> (x: Double, y: Double, radius: Double)? {
        let bx = b.0 - a.0, by = b.1 - a.1, cx = c.0 - a.0, cy = c.1 - a.1
        let d = 2 * (bx * cy - by * cx)
        guard d != 0 else { return nil }
        let b2 = bx * bx + by * by, c2 = cx * cx + cy * cy
        let ux = (cy * b2 - by * c2) / d, uy = (bx * c2 - cx * b2) / d
        return (a.0 + ux, a.1 + uy, cSqrt(ux * ux + uy * uy))
    }

    // MARK: - Sphere

    /// Grid steps per unit of a unit vector; keeps the predicate's products within 128 bits.
    private static let sphereGrid = Double(Int64(1) << 39)

    /// The grid point a unit vector is rounded to (``CoincidentSites`` groups positions by it too).
    static func sphereGridPoint(_ vector: (x: Double, y: Double, z: Double)) -> ConvexHull3D.Point {
        ConvexHull3D.Point(x: Int64((vector.x * sphereGrid).rounded()), y: Int64((vector.y * sphereGrid).rounded()),
                           z: Int64((vector.z * sphereGrid).rounded()))
    }

    static func sphere(_ positions: [Position]) -> DelaunayGraph {
        let count = positions.count
        let vectors = positions.map { CoordinateSpace.unitVector($0) }
        let quantized = vectors.map { sphereGridPoint($0) }
        var groups = Representatives(count: count)
        var firstAt: [ConvexHullKey: Int] = [:]
        for index in 0..<count {
            let key = ConvexHullKey(quantized[index])
            if let first = firstAt[key] {
                groups.attach(index, to: first)
            } else {
                firstAt[key] = index
                groups.addRepresentative(index)
            }
        }
        let reps = groups.representatives
        var builder = GraphBuilder(count: count)
        if reps.count <= 3 {
            for i in reps.indices {
                for j in reps.indices where i < j { builder.addEdge(reps[i], reps[j]) }
            }
            return builder.finish(groups)
        }
        let hull = ConvexHull3D(points: reps.map { quantized[$0] }, seed: UInt64(reps.count))
        if hull.isDegenerate {
            // All points on one circle of the sphere: both caps are empty, the cycle is the whole graph.
            let normalPoints = reps.map { quantized[$0] }
            let cycle = circleOrder(normalPoints)
            for index in cycle.indices {
                builder.addEdge(reps[cycle[index]], reps[cycle[(index + 1) % cycle.count]])
            }
            return builder.finish(groups)
        }
        for (a, b, c) in hull.faces { builder.addTriangle(reps[a], reps[b], reps[c]) }
        // Points rounded to just inside the hull (near-duplicates) follow the nearest hull vertex.
        let onHull = reps.indices.filter { hull.isVertex[$0] }.map { reps[$0] }
        for (index, rep) in reps.enumerated() where !hull.isVertex[index] {
            let v = vectors[rep]
            var best = onHull[0]
            var bestDot = -2.0
            for candidate in onHull {
                let w = vectors[candidate]
                let dot = v.x * w.x + v.y * w.y + v.z * w.z
                if dot > bestDot {
                    bestDot = dot
                    best = candidate
                }
            }
            groups.demote(rep, to: best)
        }
        return builder.finish(groups)
    }

    /// Order of coplanar points around their plane's normal (first three points span the plane).
    static func circleOrder(_ points: [ConvexHull3D.Point]) -> [Int] {
        let p = points.map { (Double($0.x), Double($0.y), Double($0.z)) }
        let u = (p[1].0 - p[0].0, p[1].1 - p[0].1, p[1].2 - p[0].2)
        var n = (0.0, 0.0, 0.0)
        for point in p.dropFirst(2) {
            let w = (point.0 - p[0].0, point.1 - p[0].1, point.2 - p[0].2)
            n = (u.1 * w.2 - u.2 * w.1, u.2 * w.0 - u.0 * w.2, u.0 * w.1 - u.1 * w.0)
            if n.0 != 0 || n.1 != 0 || n.2 != 0 { break }
        }
        let rawV = (n.1 * u.2 - n.2 * u.1, n.2 * u.0 - n.0 * u.2, n.0 * u.1 - n.1 * u.0)
        // Equal-length axes: atan2 loses the angle when one axis is many orders larger than the other.
        let uLength = cSqrt(u.0 * u.0 + u.1 * u.1 + u.2 * u.2)
        let vLength = cSqrt(rawV.0 * rawV.0 + rawV.1 * rawV.1 + rawV.2 * rawV.2)
        let v = (rawV.0 / vLength * uLength, rawV.1 / vLength * uLength, rawV.2 / vLength * uLength)
        var c = (0.0, 0.0, 0.0)
        for point in p { c = (c.0 + point.0, c.1 + point.1, c.2 + point.2) }
        c = (c.0 / Double(p.count), c.1 / Double(p.count), c.2 / Double(p.count))
        let angles = p.map { point -> Double in
            let d = (point.0 - c.0, point.1 - c.1, point.2 - c.2)
            return cAtan2(d.0 * v.0 + d.1 * v.1 + d.2 * v.2, d.0 * u.0 + d.1 * u.1 + d.2 * u.2)
        }
        return p.indices.sorted { angles[$0] < angles[$1] }
    }

    // MARK: - Torus

    static func torus(_ positions: [Position], width: Double, height: Double) -> DelaunayGraph {
        let count = positions.count
        var rings = 1
        while true {
            let side = 2 * rings + 1
            var copies: [(Double, Double)] = []
            copies.reserveCapacity(count * side * side)
            // Copy 0 of every point is the central one, so copy index / count is the offset number.
            var offsets: [(Int, Int)] = [(0, 0)]
            for dx in -rings...rings {
                for dy in -rings...rings where dx != 0 || dy != 0 { offsets.append((dx, dy)) }
            }
            for (dx, dy) in offsets {
                for position in positions {
                    copies.append((position.x + Double(dx) * width, position.y + Double(dy) * height))
                }
            }
            let copyGraph = plane(copies)
            var exact = true
            let margin = Double(rings) * min(width, height)
            for (a, b, c) in copyGraph.triangles where a < count || b < count || c < count {
                guard let circle = circumcircle(copies[a], copies[b], copies[c]), 2 * circle.radius < margin else {
                    exact = false
                    break
                }
            }
            if exact || rings >= 3 || count * side * side > 200_000 {
                var builder = GraphBuilder(count: count)
                for index in 0..<count {
                    for neighbour in copyGraph.neighbours[index] where neighbour % count != index {
                        builder.addEdge(index, neighbour % count)
                    }
                }
                return builder.finish(Representatives(count: count, allRepresentatives: true))
            }
            rings += 1
        }
    }
}

/// A hashable key of an integer point (the grid cell of a unit vector).
private struct ConvexHullKey: Hashable {
    var x: Int64, y: Int64, z: Int64
    init(_ point: ConvexHull3D.Point) {
        x = point.x
        y = point.y
        z = point.z
    }
}

/// Which input points stand for themselves in the triangulation and which follow another point.
private struct Representatives {
    private(set) var representatives: [Int] = []
    /// For each point, the point it follows, or itself.
    private(set) var leader: [Int]

    init(count: Int, allRepresentatives: Bool = false) {
        leader = Array(0..<count)
        if allRepresentatives { representatives = Array(0..<count) }
    }

    mutating func addRepresentative(_ index: Int) { representatives.append(index) }
    mutating func attach(_ index: Int, to representative: Int) { leader[index] = representative }
    mutating func demote(_ representative: Int, to other: Int) {
        for index in leader.indices where leader[index] == representative { leader[index] = other }
        representatives.removeAll { $0 == representative }
    }
}

/// Accumulates edges and triangles, then expands followers into sorted neighbour lists.
private struct GraphBuilder {
    var adjacency: [[Int]]
    var triangles: [(Int, Int, Int)] = []

    init(count: Int) {
        adjacency = Array(repeating: [], count: count)
    }

    mutating func addEdge(_ a: Int, _ b: Int) {
        guard a != b else { return }
        adjacency[a].append(b)
        adjacency[b].append(a)
    }

    mutating func addTriangle(_ a: Int, _ b: Int, _ c: Int) {
        triangles.append((a, b, c))
        adjacency[a].append(b)
        adjacency[a].append(c)
        adjacency[b].append(a)
        adjacency[b].append(c)
        adjacency[c].append(a)
        adjacency[c].append(b)
    }

    func finish(_ groups: Representatives) -> DelaunayGraph {
        var result = adjacency
        let count = adjacency.count
        var followers: [[Int]] = Array(repeating: [], count: count)
        for index in 0..<count where groups.leader[index] != index {
            followers[groups.leader[index]].append(index)
        }
        for leader in 0..<count where !followers[leader].isEmpty {
            // A follower takes its leader's neighbours (and their followers) and joins its own group.
            let group = [leader] + followers[leader]
            var outside: [Int] = []
            for neighbour in adjacency[leader] {
                outside.append(neighbour)
                outside.append(contentsOf: followers[neighbour])
            }
            for member in group {
                for other in group where other != member { result[member].append(other) }
                if member != leader {
                    for neighbour in outside {
                        result[member].append(neighbour)
                        result[neighbour].append(member)
                    }
                }
            }
        }
        for index in 0..<count {
            result[index].sort()
            result[index] = deduplicatedSorted(result[index])
        }
        return DelaunayGraph(neighbours: result, triangles: triangles)
    }
}

private func deduplicatedSorted(_ values: [Int]) -> [Int] {
    var result: [Int] = []
    result.reserveCapacity(values.count)
    for value in values where result.last != value { result.append(value) }
    return result
}

private func binarySearch(_ values: [Int], _ target: Int) -> Bool {
    var low = 0, high = values.count
    while low < high {
        let mid = (low + high) / 2
        if values[mid] < target { low = mid + 1 } else { high = mid }
    }
    return low < values.count && values[low] == target
}
