/// The convex hull of integer points in 3D, computed exactly (randomised incremental construction with
/// conflict lists, O(n log n) expected).
///
/// Delaunay triangulations on the plane (points lifted onto a paraboloid) and on the sphere (unit vectors)
/// are read off this hull. Coordinates are integers so that the orientation predicate is exact: a Double
/// filter decides the clear cases and 128-bit integer arithmetic the rest, so degenerate input (coplanar
/// faces, cocircular points) never produces an inconsistent hull.
struct ConvexHull3D {
    /// A point with integer coordinates. Differences of coordinates must fit 59 bits and the predicate's
    /// products 126 bits: callers keep |x|, |y| below 2^29 and |z| below 2^58, or all three below 2^39.
    struct Point: Equatable {
        var x: Int64
        var y: Int64
        var z: Int64
    }

    /// The hull's faces as vertex indices, counter-clockwise when seen from outside.
    private(set) var faces: [(Int, Int, Int)] = []
    /// Whether each input point is a vertex of the hull; points inside it or on a face are not.
    private(set) var isVertex: [Bool]
    /// `true` when the points do not span 3D (fewer than four, or all coplanar): `faces` is then empty.
    private(set) var isDegenerate = false

    /// Computes the hull; `seed` fixes the randomised insertion order so results are reproducible.
    init(points: [Point], seed: UInt64) {
        isVertex = Array(repeating: false, count: points.count)
        let builder = Builder(points: points)
        guard builder.build(seed: seed) else {
            isDegenerate = true
            return
        }
        for face in 0..<builder.faceA.count where builder.alive[face] {
            let a = builder.faceA[face], b = builder.faceB[face], c = builder.faceC[face]
            faces.append((a, b, c))
            isVertex[a] = true
            isVertex[b] = true
            isVertex[c] = true
        }
    }

    /// The sign of det[b - a, c - a, d - a]: positive when `d` lies on the side the normal of the
    /// counter-clockwise triangle `(a, b, c)` points to.
    static func orient(_ a: Point, _ b: Point, _ c: Point, _ d: Point) -> Int {
        let bx = b.x - a.x, by = b.y - a.y, bz = b.z - a.z
        let cx = c.x - a.x, cy = c.y - a.y, cz = c.z - a.z
        let dx = d.x - a.x, dy = d.y - a.y, dz = d.z - a.z
        // Double filter: decide when the rounded result is far from zero.
        let fbx = Double(bx), fby = Double(by), fbz = Double(bz)
        let fcx = Double(cx), fcy = Double(cy), fcz = Double(cz)
        let fdx = Double(dx), fdy = Double(dy), fdz = Double(dz)
        let nx = fby * fcz - fbz * fcy, ny = fbz * fcx - fbx * fcz, nz = fbx * fcy - fby * fcx
        let approximate = fdx * nx + fdy * ny + fdz * nz
        let magnitude = fdx.magnitude * ((fby * fcz).magnitude + (fbz * fcy).magnitude)
            + fdy.magnitude * ((fbz * fcx).magnitude + (fbx * fcz).magnitude)
            + fdz.magnitude * ((fbx * fcy).magnitude + (fby * fcx).magnitude)
        if approximate > magnitude * 1e-14 { return 1 }
        if approximate < -magnitude * 1e-14 { return -1 }
        let ex = Int128(by) * Int128(cz) - Int128(bz) * Int128(cy)
        let ey = Int128(bz) * Int128(cx) - Int128(bx) * Int128(cz)
        let ez = Int128(bx) * Int128(cy) - Int128(by) * Int128(cx)
        let exact = Int128(dx) * ex + Int128(dy) * ey + Int128(dz) * ez
        return exact > 0 ? 1 : (exact < 0 ? -1 : 0)
    }

    /// Whether `a`, `b`, `c` are collinear (exactly).
    static func collinear(_ a: Point, _ b: Point, _ c: Point) -> Bool {
        let bx = Int128(b.x - a.x), by = Int128(b.y - a.y), bz = Int128(b.z - a.z)
        let cx = Int128(c.x - a.x), cy = Int128(c.y - a.y), cz = Int128(c.z - a.z)
        return by * cz == bz * cy && bz * cx == bx * cz && bx * cy == by * cx
    }

    /// The mutable state of one construction (a class: debug builds copy a struct's fields on every call).
    private final class Builder {
        let points: [Point]
        var faceA: [Int] = [], faceB: [Int] = [], faceC: [Int] = []
        /// Three entries per face: the face across edge a->b, b->c and c->a.
        var adjacent: [Int] = []
        var alive: [Bool] = []
        var faceConflicts: [[Int]] = []
        var pointConflicts: [[Int]]
        var inserted: [Bool]
        var visibleStamp: [Int] = []
        var candidateStamp: [Int]
        var newFaceStarting: [Int]

        init(points: [Point]) {
            self.points = points
            pointConflicts = Array(repeating: [], count: points.count)
            inserted = Array(repeating: false, count: points.count)
            candidateStamp = Array(repeating: -1, count: points.count)
            newFaceStarting = Array(repeating: -1, count: points.count)
        }

        func build(seed: UInt64) -> Bool {
            let count = points.count
            guard count >= 4 else { return false }
            var order = Array(0..<count)
            var random = SplitMix64(seed: seed)
            // Fisher-Yates on 64-bit draws. `shuffle(using:)` draws `Int`-wide numbers, 32 bits in the wasm
            // build, so the two builds inserted points in different orders and, on cocircular points,
            // picked different diagonals (found by `GeometryCrossCheck`).
            for index in stride(from: count - 1, to: 0, by: -1) {
                order.swapAt(index, Int(random.next() % UInt64(index + 1)))
            }
            guard let simplex = findSimplex(order) else { return false }
            var first = simplex
            if ConvexHull3D.orient(points[first.0], points[first.1], points[first.2], points[first.3]) > 0 {
                swap(&first.1, &first.2)
            }
            let (a, b, c, d) = first
            // d lies below (a, b, c); the other three faces are oriented so the fourth vertex lies below.
            let initial = [addFace(a, b, c), addFace(a, d, b), addFace(b, d, c), addFace(c, d, a)]
            linkInitial(initial)
            for vertex in [a, b, c, d] { inserted[vertex] = true }
            for point in order where !inserted[point] {
                for face in initial where see(face, point) {
                    faceConflicts[face].append(point)
                    pointConflicts[point].append(face)
                }
            }
            for point in order where !inserted[point] {
                insert(point)
            }
            return true
        }

        private func findSimplex(_ order: [Int]) -> (Int, Int, Int, Int)? {
            let first = order[0]
            guard let second = order.first(where: { points[$0] != points[first] }) else { return nil }
            guard let third = order.first(where: {
                !ConvexHull3D.collinear(points[first], points[second], points[$0])
            }) else { return nil }
            guard let fourth = order.first(where: {
                ConvexHull3D.orient(points[first], points[second], points[third], points[$0]) != 0
            }) else { return nil }
            return (first, second, third, fourth)
        }

        private func see(_ face: Int, _ point: Int) -> Bool {
            ConvexHull3D.orient(points[faceA[face]], points[faceB[face]], points[faceC[face]], points[point]) > 0
        }

        private func addFace(_ a: Int, _ b: Int, _ c: Int) -> Int {
            faceA.append(a)
            faceB.append(b)
            faceC.append(c)
            adjacent.append(contentsOf: [-1, -1, -1])
            alive.append(true)
            faceConflicts.append([])
            visibleStamp.append(-1)
            return faceA.count - 1
        }

        private func edge(_ face: Int, _ index: Int) -> (Int, Int) {
            switch index {
            case 0: return (faceA[face], faceB[face])
            case 1: return (faceB[face], faceC[face])
            default: return (faceC[face], faceA[face])
            }
        }

        private func linkInitial(_ faces: [Int]) {
            for face in faces {
                for index in 0..<3 {
                    let (u, v) = edge(face, index)
                    for other in faces where other != face {
                        for otherIndex in 0..<3 where edge(other, otherIndex) == (v, u) {
                            adjacent[3 * face + index] = other
                        }
                    }
                }
            }
        }

        private func insert(_ point: Int) {
            inserted[point] = true
            let visible = pointConflicts[point].filter { alive[$0] }
            pointConflicts[point] = []
            guard !visible.isEmpty else { return }  // inside the hull or on a face: not a vertex
            for face in visible { visibleStamp[face] = point }
            var created: [Int] = []
            for face in visible {
                for index in 0..<3 {
                    let beyond = adjacent[3 * face + index]
                    guard visibleStamp[beyond] != point else { continue }
                    let (u, v) = edge(face, index)
                    let newFace = addFace(u, v, point)
                    created.append(newFace)
                    adjacent[3 * newFace] = beyond
                    for beyondIndex in 0..<3 where adjacent[3 * beyond + beyondIndex] == face
                        && edge(beyond, beyondIndex) == (v, u) {
                        adjacent[3 * beyond + beyondIndex] = newFace
                    }
                    newFaceStarting[u] = newFace
                    collectConflicts(newFace, from: faceConflicts[face], faceConflicts[beyond], inserting: point)
                }
            }
            for newFace in created {
                let next = newFaceStarting[faceB[newFace]]
                adjacent[3 * newFace + 1] = next
                adjacent[3 * next + 2] = newFace
            }
            for newFace in created { newFaceStarting[faceA[newFace]] = -1 }
            for face in visible {
                alive[face] = false
                faceConflicts[face] = []
            }
        }

        /// The points of `first` and `second` (the conflict lists of the two faces the new face replaces)
        /// that see `newFace`. The hottest loop of the construction: the arrays it updates are moved into
        /// locals for its duration (each access to a class's stored property is checked for exclusivity at
        /// run time, which cost a fifth of a torus simulation), and the face's corners are read once.
        private func collectConflicts(_ newFace: Int, from first: [Int], _ second: [Int], inserting point: Int) {
            let (a, b, c) = (points[faceA[newFace]], points[faceB[newFace]], points[faceC[newFace]])
            var stamps: [Int] = []
            var conflictsOfPoints: [[Int]] = []
            swap(&stamps, &candidateStamp)
            swap(&conflictsOfPoints, &pointConflicts)
            var seen: [Int] = []
            let total = first.count + second.count
            for index in 0..<total {
                let candidate = index < first.count ? first[index] : second[index - first.count]
                guard candidate != point, stamps[candidate] != newFace else { continue }
                stamps[candidate] = newFace
                if ConvexHull3D.orient(a, b, c, points[candidate]) > 0 {
                    seen.append(candidate)
                    conflictsOfPoints[candidate].append(newFace)
                }
            }
            swap(&stamps, &candidateStamp)
            swap(&conflictsOfPoints, &pointConflicts)
            faceConflicts[newFace] = seen
        }
    }
}
