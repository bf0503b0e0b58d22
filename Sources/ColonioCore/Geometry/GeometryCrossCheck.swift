/// A fixed set of geometry computations on the degenerate layouts of issue #17, reduced to one digest, so
/// that the native build and the browser (wasm) build can be shown to compute the same geometry: the
/// native tests pin ``digest()`` to ``recordedDigest`` and the wasm smoke test checks that the browser
/// build gets the same value (`colonio_geometry_crosscheck` in `Web/Exports`).
///
/// Covered, in each space: validated positions, site keys, distances between every pair (bit patterns;
/// on the sphere whole metres and exact zeros, see below),
/// radius-0 and small circles at every point, the whole Delaunay graph, the links of the sites' graph
/// (``SiteLinks``) and every node's local view of its two-hop neighbourhood. Layouts: a crowd on one
/// point among scattered points, a pole at several longitudes and both sides of the date line on the
/// sphere, a seam and a corner written as 0 and as the period on the torus, a collinear and a cocircular
/// set on the plane and the torus. Small enough to run in a few milliseconds.
public enum GeometryCrossCheck {
    /// The digest both builds must compute. Recompute and update it (the native test prints the new
    /// value) only with a deliberate change of the geometry or of this check.
    public static let recordedDigest: UInt64 = 0x7BA1_7CDD_E1F8_7527

    /// What a digest covers: ``all``, or one part, to find where two builds differ.
    public struct Parts: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Validated positions and site keys.
        public static let positions = Parts(rawValue: 1)
        /// Distances between every pair (bit patterns).
        public static let distances = Parts(rawValue: 2)
        /// Radius-0 and small circles at every point.
        public static let circles = Parts(rawValue: 4)
        /// The whole Delaunay graph.
        public static let delaunay = Parts(rawValue: 8)
        /// ``SiteLinks``: the whole graph and every local view.
        public static let links = Parts(rawValue: 16)
        public static let all: Parts = [.positions, .distances, .circles, .delaunay, .links]
    }

    /// The spaces covered, in order (`spaceIndex` of ``digest(parts:spaceIndex:)``).
    static let spaces: [CoordinateSpace] = [.plane(width: 1000, height: 1000), .sphere(radius: 6_371_000),
                                            .torus(width: 1000, height: 1000)]

    /// FNV-1a over everything computed (or the `parts` of it, in one space when `spaceIndex` is given), in
    /// a fixed order.
    public static func digest(parts: Parts = .all, spaceIndex: Int? = nil) -> UInt64 {
        var hash = Hash()
        for (index, space) in spaces.enumerated() where spaceIndex == nil || spaceIndex == index {
            for layout in layouts(in: space) { digest(layout, in: space, parts: parts, into: &hash) }
        }
        return hash.value
    }

    private struct Hash {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        mutating func add(_ word: UInt64) {
            var rest = word
            for _ in 0..<8 {
                value = (value ^ (rest & 0xFF)) &* 0x0000_0100_0000_01B3
                rest >>= 8
            }
        }
        mutating func add(_ number: Double) { add(number.bitPattern) }  // -0.0 and 0.0 differ: both builds must agree
        mutating func add(_ indices: [Int]) {
            add(UInt64(indices.count))
            for index in indices { add(UInt64(index)) }
        }
    }

    private static func digest(_ layout: [Position], in space: CoordinateSpace, parts: Parts, into hash: inout Hash) {
        var positions: [Position] = []
        for position in layout {
            guard let valid = try? space.validated(position) else {
                hash.add(UInt64.max)
                continue
            }
            positions.append(valid)
            guard parts.contains(.positions) else { continue }
            hash.add(valid.x)
            hash.add(valid.y)
            let key = SiteKey(valid, in: space)
            hash.add(key.a)
            hash.add(key.b)
            hash.add(key.c)
        }
        let small: Double
        if case .sphere = space { small = 50_000 } else { small = 20 }
        for a in positions {
            if parts.contains(.distances) {
                for b in positions {
                    let distance = space.distance(a, b)
                    // The sphere's `sin`, `cos` and `atan2` come from glibc natively and wasi-libc in wasm,
                    // which may round differently in the last bit: whole metres there, and exact zeros
                    // (one point: a pole, the date line). Plane and torus distances are bit-identical.
                    if case .sphere = space {
                        hash.add(distance == 0 ? UInt64.max : UInt64(distance.rounded()))
                    } else {
                        hash.add(distance)
                    }
                }
            }
            guard parts.contains(.circles) else { continue }
            for b in positions {
                hash.add(space.contains(center: a, radius: 0, b) ? UInt64(1) : 0)
                hash.add(space.contains(center: a, radius: small, b) ? UInt64(1) : 0)
            }
        }
        if parts.contains(.delaunay) {
            for neighbours in DelaunayGraph(positions, in: space).neighbours { hash.add(neighbours) }
        }
        guard parts.contains(.links) else { return }
        // IDs in a scrambled order, so that chains do not follow the input order.
        var random = SplitMix64(seed: UInt64(positions.count))
        let ids = positions.indices.map { _ in NodeID(high: random.next(), low: random.next()) }
        let links = SiteLinks.graph(ids: ids, positions: positions, in: space)
        for node in positions.indices {
            hash.add(links[node])
            var known: [Int] = []
            for neighbour in links[node] {
                known.append(neighbour)
                known += links[neighbour]
            }
            known = known.filter { $0 != node }.sorted()
            var order = [node]
            for index in known where order.last != index { order.append(index) }
            let view = SiteLinks.neighboursOfFirst(
                ids: order.map { ids[$0] }, positions: order.map { positions[$0] }, in: space)
            hash.add(view.neighbours.map { order[$0] }.sorted())
            hash.add(UInt64(bitPattern: Int64(view.previous.map { order[$0] } ?? -1)))
        }
    }

    /// A uniform number in `[0, 1)` from 53 random bits (exact in both builds).
    private static func unit(_ random: inout SplitMix64) -> Double {
        Double(random.next() >> 11) * 0x1p-53
    }

    private static func layouts(in space: CoordinateSpace) -> [[Position]] {
        var random = SplitMix64(seed: 17)
        var scattered: [Position] = []
        for _ in 0..<24 {
            switch space {
            case .plane(let width, let height), .torus(let width, let height):
                scattered.append(Position(x: unit(&random) * width, y: unit(&random) * height))
            case .sphere:
                // Not uniform on the sphere; any spread of points will do.
                scattered.append(Position(latitude: unit(&random) * 170 - 85, longitude: unit(&random) * 360 - 180))
            }
        }
        var layouts = [scattered + Array(repeating: scattered[3], count: 8)]
        switch space {
        case .sphere:
            let poles = [0.0, 120, 33, -180, 180].map { Position(latitude: 90, longitude: $0) }
                + [-45.0, 90].map { Position(latitude: -90, longitude: $0) }
            let dateLine = [-60.0, 0, 25].flatMap { [Position(latitude: $0, longitude: 180), Position(latitude: $0, longitude: -180)] }
            let equator = (0..<8).map { Position(latitude: 0, longitude: Double($0 * 45 - 180)) }
            layouts.append(scattered + poles + dateLine)
            layouts.append(equator + equator + poles)
        case .plane(let width, let height), .torus(let width, let height):
            var edges = [Position(x: 0, y: 400), Position(x: 0, y: 0), Position(x: width / 2, y: 0)]
            if case .torus = space {
                edges += [Position(x: width, y: 400), Position(x: width, y: height), Position(x: width / 2, y: height)]
            }
            layouts.append(scattered + edges + edges)
            let line = (0..<10).map { Position(x: 80 * Double($0), y: 40 * Double($0) + height / 4) }
            var grid: [Position] = []
            for x in 0..<4 { for y in 0..<4 { grid.append(Position(x: 200 * Double(x) + 7, y: 200 * Double(y) + 3)) } }
            layouts.append(line + [line[4], line[4]] + grid + grid)
        }
        return layouts
    }
}
