import Testing
@testable import ColonioCore

/// Geo links on the layouts of issue #17 (``SiteLinks``): the nodes on one point form a chain in ID order
/// behind the lowest ID, which alone links to the neighbouring sites' lowest IDs; a node's view of its
/// two-hop neighbourhood gives the same links; a crowd costs each member at most two links; greedy
/// forwarding with the hand-down to a site's representative ends at a node nearest the target.
@Suite struct SiteLinksTests {
    typealias Layouts = DegenerateDelaunayTests

    static func ids(_ count: Int, seed: UInt64) -> [NodeID] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in NodeID.random(using: &random) }
    }

    @Test(arguments: Layouts.spaces)
    func theLinksAreTheSitesDelaunayGraphWithChains(space: CoordinateSpace) {
        for layout in DegenerateLayout.all(in: space) {
            let positions = layout.positions.map { try! space.validated($0) }
            let ids = Self.ids(positions.count, seed: 5)
            let site = Layouts.sites(positions, in: space)
            let distinct = Array(Set(site)).sorted()
            let siteGraph = DelaunayGraph(distinct.map { positions[$0] }, in: space)
            // Each site's members in ID order; the first is the representative.
            var chains: [Int: [Int]] = [:]
            for index in positions.indices { chains[site[index], default: []].append(index) }
            for key in chains.keys { chains[key]!.sort { ids[$0] < ids[$1] } }
            var expected = Array(repeating: Set<Int>(), count: positions.count)
            for (key, chain) in chains {
                for rank in chain.indices.dropFirst() {
                    expected[chain[rank]].insert(chain[rank - 1])
                    expected[chain[rank - 1]].insert(chain[rank])
                }
                for other in chains.keys where other != key
                    && siteGraph.areNeighbours(distinct.firstIndex(of: key)!, distinct.firstIndex(of: other)!) {
                    expected[chain[0]].insert(chains[other]![0])
                }
            }
            let graph = SiteLinks.graph(ids: ids, positions: positions, in: space)
            for index in positions.indices {
                #expect(Set(graph[index]) == expected[index], "\(layout): node \(index)")
                #expect(graph[index] == graph[index].sorted())
            }
        }
    }

    /// What a node computes from its links and its links' links is its list in the whole graph (with
    /// cocircular sites, every link of the whole graph is in the view of one of its ends).
    @Test(arguments: Layouts.spaces)
    func localViewsMatchTheWholeGraph(space: CoordinateSpace) {
        for layout in DegenerateLayout.all(in: space) where !layout.localViewsMayMissDiagonals {
            let positions = layout.positions.map { try! space.validated($0) }
            let ids = Self.ids(positions.count, seed: 6)
            let graph = SiteLinks.graph(ids: ids, positions: positions, in: space)
            var views: [Set<Int>] = []
            for node in positions.indices {
                var known = Set(graph[node])
                for neighbour in graph[node] { known.formUnion(graph[neighbour]) }
                known.remove(node)
                let order = [node] + known.sorted()
                let view = SiteLinks.neighboursOfFirst(ids: order.map { ids[$0] }, positions: order.map { positions[$0] }, in: space)
                views.append(Set(view.neighbours.map { order[$0] }))
            }
            for node in positions.indices {
                if layout.cocircular {
                    for other in graph[node] {
                        #expect(views[node].contains(other) || views[other].contains(node), "\(layout): link \(node)-\(other)")
                    }
                } else {
                    #expect(views[node] == Set(graph[node]), "\(layout): node \(node)")
                }
            }
        }
    }

    /// A crowd of fifty on one point among forty scattered nodes: each member has at most two links, and
    /// only the representative more; before chains, each member had about sixty.
    @Test(arguments: Layouts.spaces)
    func aCrowdCostsEachMemberAtMostTwoLinks(space: CoordinateSpace) {
        let layout = DegenerateLayout.all(in: space).first { $0.name == "fifty on one point" }!
        let positions = layout.positions.map { try! space.validated($0) }
        let ids = Self.ids(positions.count, seed: 7)
        let graph = SiteLinks.graph(ids: ids, positions: positions, in: space)
        let crowd = positions.indices.filter { positions[$0] == positions[positions.count - 1] }
        #expect(crowd.count == 50)
        let representative = crowd.min { ids[$0] < ids[$1] }!
        for member in crowd where member != representative { #expect(graph[member].count <= 2) }
        #expect(graph[representative].count <= 1 + 12)
        #expect(graph.map(\.count).max()! <= 13)
        #expect(DelaunayGraph(positions, in: space).neighbours[representative].count >= 50)
    }

    /// From every node, greedy hops (``GreedyForwarding/nextHop(from:toward:among:in:)``) and hand-downs
    /// to the representative (``GreedyForwarding/towardRepresentative(of:at:toward:among:in:)``) over the
    /// links end at a node nearest the target, without a loop.
    @Test(arguments: Layouts.spaces)
    func greedyForwardingOverTheLinksReachesANearestNode(space: CoordinateSpace) {
        var random = SplitMix64(seed: 29)
        for layout in DegenerateLayout.all(in: space) {
            let positions = layout.positions.map { try! space.validated($0) }
            let ids = positions.indices.map { _ in NodeID.random(using: &random) }
            let graph = SiteLinks.graph(ids: ids, positions: positions, in: space)
            var targets = [positions[positions.count - 1], positions[0]]
            for _ in 0..<4 { targets.append(randomPosition(in: space, using: &random)) }
            for target in targets {
                let nearest = positions.map { space.distance($0, target) }.min()!
                for start in positions.indices {
                    var current = start
                    var hops = 0
                    while hops <= positions.count {
                        let candidates = graph[current].map { (node: ids[$0], position: positions[$0]) }
                        guard let next = GreedyForwarding.nextHop(
                                from: positions[current], toward: target, among: candidates, in: space)
                            ?? GreedyForwarding.towardRepresentative(
                                of: ids[current], at: positions[current], toward: target, among: candidates, in: space)
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

    @Test func aMemberHandsDownToTheLowestLowerIDOnItsPoint() {
        let space = CoordinateSpace.plane(width: 100, height: 100)
        let here = Position(x: 10, y: 10), target = Position(x: 90, y: 90)
        let one = NodeID(high: 0, low: 1), two = NodeID(high: 0, low: 2), three = NodeID(high: 0, low: 3)
        let mates = [(node: three, position: here), (node: one, position: here), (node: two, position: here)]
        #expect(GreedyForwarding.towardRepresentative(of: three, at: here, toward: target, among: mates, in: space) == one)
        #expect(GreedyForwarding.towardRepresentative(of: two, at: here, toward: target, among: mates, in: space) == one)
        // The representative has nobody lower; a lower ID elsewhere does not count.
        #expect(GreedyForwarding.towardRepresentative(of: one, at: here, toward: target, among: mates, in: space) == nil)
        let elsewhere = [(node: one, position: Position(x: 5, y: 5))]
        #expect(GreedyForwarding.towardRepresentative(of: three, at: here, toward: target, among: elsewhere, in: space) == nil)
    }
}
