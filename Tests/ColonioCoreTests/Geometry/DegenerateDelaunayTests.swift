import Testing
@testable import ColonioCore

/// The Delaunay graph on the layouts of issue #17 (``DegenerateLayout``): nodes on one point act as one
/// site whose members are all linked to each other and to every member of each neighbouring site, both in
/// the whole graph and in a node's local view; greedy forwarding over it never stalls before the point
/// nearest the target.
@Suite struct DegenerateDelaunayTests {
    static let spaces: [CoordinateSpace] = [.plane(width: 1000, height: 1000), .sphere(radius: 6_371_000),
                                            .torus(width: 1000, height: 1000)]

    /// For each position, the index of the first position on the same point (its site).
    static func sites(_ positions: [Position], in space: CoordinateSpace) -> [Int] {
        positions.indices.map { index in positions.indices.first { samePoint(positions[$0], positions[index], in: space) }! }
    }

    @Test(arguments: spaces)
    func theWholeGraphIsTheGraphOfDistinctPointsWithSitesExpanded(space: CoordinateSpace) {
        for layout in DegenerateLayout.all(in: space) {
            let positions = layout.positions.map { try! space.validated($0) }
            let site = Self.sites(positions, in: space)
            let distinct = Array(Set(site)).sorted()
            let distinctGraph = DelaunayGraph(distinct.map { positions[$0] }, in: space)
            let graph = DelaunayGraph(positions, in: space)
            for i in positions.indices {
                for j in positions.indices where i != j {
                    let expected = site[i] == site[j]
                        || distinctGraph.areNeighbours(distinct.firstIndex(of: site[i])!, distinct.firstIndex(of: site[j])!)
                    #expect(graph.areNeighbours(i, j) == expected, "\(layout): \(i)-\(j)")
                }
            }
        }
    }

    /// What a node computes from its two-hop neighbourhood is its neighbour list in the whole graph. With
    /// cocircular points any triangulation is Delaunay and floating-point tests may pick either diagonal:
    /// then every edge of the whole graph must be in the view of one of its ends, which is what spread
    /// uses (a node links to its neighbours and to the nodes that list it, ``GeoInstance/linked``).
    @Test(arguments: spaces)
    func localNeighboursMatchTheWholeGraph(space: CoordinateSpace) {
        for layout in DegenerateLayout.all(in: space) {
            let positions = layout.positions.map { try! space.validated($0) }
            let graph = DelaunayGraph(positions, in: space)
            var views: [Set<Int>] = []
            for node in positions.indices {
                var known = Set(graph.neighbours[node])
                for neighbour in graph.neighbours[node] { known.formUnion(graph.neighbours[neighbour]) }
                known.remove(node)
                let order = [node] + known.sorted()
                views.append(Set(DelaunayGraph.neighboursOfFirst(order.map { positions[$0] }, in: space).map { order[$0] }))
            }
            for node in positions.indices {
                if layout.localViewsMayMissDiagonals {
                    continue
                } else if layout.cocircular {
                    for other in graph.neighbours[node] {
                        #expect(views[node].contains(other) || views[other].contains(node), "\(layout): edge \(node)-\(other)")
                    }
                } else {
                    #expect(views[node] == Set(graph.neighbours[node]), "\(layout): node \(node)")
                }
            }
        }
    }

    /// From every node, hops to ``GreedyForwarding/nextHop(from:toward:among:in:)`` over the whole graph
    /// end at a node nearest the target, whatever ties the layout holds: targets at shared points, at
    /// scattered nodes' points, and at random places.
    @Test(arguments: spaces)
    func greedyForwardingReachesANearestNode(space: CoordinateSpace) {
        var random = SplitMix64(seed: 23)
        for layout in DegenerateLayout.all(in: space) {
            let positions = layout.positions.map { try! space.validated($0) }
            let ids = positions.indices.map { _ in NodeID.random(using: &random) }
            let graph = DelaunayGraph(positions, in: space)
            var targets = [positions[positions.count - 1], positions[0]]
            for _ in 0..<4 { targets.append(randomPosition(in: space, using: &random)) }
            for target in targets {
                let nearest = positions.map { space.distance($0, target) }.min()!
                for start in positions.indices {
                    var current = start
                    var hops = 0
                    while hops <= positions.count {
                        let candidates = graph.neighbours[current].map { (node: ids[$0], position: positions[$0]) }
                        guard let next = GreedyForwarding.nextHop(from: positions[current], toward: target, among: candidates,
                                                                  in: space)
                        else { break }
                        current = ids.firstIndex(of: next)!
                        hops += 1
                    }
                    #expect(hops <= positions.count, "\(layout): greedy forwarding looped")
                    #expect(space.distance(positions[current], target) == nearest, "\(layout): stalled at node \(current)")
                }
            }
        }
    }

    @Test func greedyForwardingBreaksTiesByNodeID() {
        let space = CoordinateSpace.plane(width: 100, height: 100)
        let low = NodeID(high: 0, low: 1), middle = NodeID(high: 0, low: 2), high = NodeID(high: 0, low: 3)
        let here = Position(x: 50, y: 0), target = Position(x: 50, y: 50)
        // Two neighbours at the same distance from the target: the lower ID, in any order.
        let tied = [(node: high, position: Position(x: 40, y: 50)), (node: low, position: Position(x: 60, y: 50))]
        #expect(GreedyForwarding.nextHop(from: here, toward: target, among: tied, in: space) == low)
        #expect(GreedyForwarding.nextHop(from: here, toward: target, among: tied.reversed(), in: space) == low)
        // A neighbour on this node's own point is no nearer: nobody to forward to.
        let twin = [(node: middle, position: here)]
        #expect(GreedyForwarding.nextHop(from: here, toward: target, among: twin, in: space) == nil)
        #expect(GreedyForwarding.nextHop(from: here, toward: target, among: [], in: space) == nil)
        // Strictly nearer always wins over a tie with a lower ID.
        let nearer = tied + [(node: high, position: Position(x: 50, y: 49))]
        #expect(GreedyForwarding.nextHop(from: here, toward: target, among: nearer, in: space) == high)
    }

    /// On a sphere every longitude at a pole, and longitudes 180 and -180, are one point: distance exactly
    /// zero, so a circle of radius zero there holds every node on the point.
    @Test func aPoleAndTheDateLineAreOnePointEach() {
        let earth = CoordinateSpace.sphere(radius: 6_371_000)
        #expect(earth.distance(Position(latitude: 90, longitude: 0), Position(latitude: 90, longitude: 123)) == 0)
        #expect(earth.distance(Position(latitude: -90, longitude: -180), Position(latitude: -90, longitude: 33)) == 0)
        #expect(earth.distance(Position(latitude: 10, longitude: 180), Position(latitude: 10, longitude: -180)) == 0)
        #expect(earth.contains(center: Position(latitude: 90, longitude: 45), radius: 0, Position(latitude: 90, longitude: -120)))
        #expect(CoordinateSpace.unitVector(Position(latitude: 90, longitude: 77)) == (x: 0, y: 0, z: 1))
        #expect(CoordinateSpace.unitVector(Position(latitude: -90, longitude: 77)) == (x: 0, y: 0, z: -1))
        let east = CoordinateSpace.unitVector(Position(latitude: 20, longitude: 180))
        let west = CoordinateSpace.unitVector(Position(latitude: 20, longitude: -180))
        #expect(east == west)
    }
}
