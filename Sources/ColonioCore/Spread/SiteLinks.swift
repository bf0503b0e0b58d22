/// Which nodes link to which for pub/sub: the Delaunay graph of the *sites* (``CoincidentSites``: the
/// nodes on one point), with each site's members in a chain behind its representative.
///
/// A site's members are ordered by node ID; each links to the previous and the next one, and only the
/// first, the **representative** (the lowest ID), links to the representatives of the neighbouring sites.
/// A node alone on its point is its own representative, so without shared points this is the plain
/// Delaunay graph. Linking every member to every other member and to every member of the neighbouring
/// sites (as ``DelaunayGraph`` does for its input) costs a crowd of k on one point about k links each;
/// the chain costs at most two plus, for the representative, the site's Delaunay degree.
///
/// Spread stays exact: the sites inside a circle are connected in the sites' Delaunay graph (their
/// representatives are linked), every member is connected to its representative through its chain, and a
/// site's members are all inside a circle or all outside it. Greedy forwarding moves between sites at the
/// representatives; a member with no nearer neighbour hands a publication down its chain towards its
/// representative (``GeoInstance``).
public enum SiteLinks {
    /// The links of every node among all nodes: neighbour indices into `ids`/`positions`, ascending.
    public static func graph(ids: [NodeID], positions: [Position], in space: CoordinateSpace) -> [[Int]] {
        let sites = CoincidentSites(positions, in: space)
        let siteGraph = DelaunayGraph(sites.representatives.map { positions[$0] }, in: space)
        let chains = sites.members.map { members in members.sorted { ids[$0] < ids[$1] } }
        var result = Array(repeating: [Int](), count: positions.count)
        for (site, chain) in chains.enumerated() {
            for rank in chain.indices {
                if rank > 0 { result[chain[rank]].append(chain[rank - 1]) }
                if rank + 1 < chain.count { result[chain[rank]].append(chain[rank + 1]) }
            }
            for other in siteGraph.neighbours[site] { result[chain[0]].append(chains[other][0]) }
        }
        return result.map { $0.sorted() }
    }

    /// What node `ids[0]` at `positions[0]` makes of the nodes it knows: its links (indices, ascending),
    /// and the nearest lower ID on its point (`nil` when it is its site's representative).
    ///
    /// A member that knows a lower ID on its point links only to the nearest lower and the nearest higher
    /// one it knows; the representative links to the nearest higher one and to the lowest known ID of
    /// each neighbouring site (``DelaunayGraph/neighboursOfFirst(_:in:)``, on one position per site).
    static func neighboursOfFirst(
        ids: [NodeID], positions: [Position], in space: CoordinateSpace
    ) -> (neighbours: [Int], previous: Int?) {
        guard positions.count > 1 else { return ([], nil) }
        let sites = CoincidentSites(positions, in: space)
        var previous: Int?, next: Int?
        for member in sites.members[0] where member != 0 {
            if ids[member] < ids[0] {
                if previous == nil || ids[member] > ids[previous!] { previous = member }
            } else if next == nil || ids[member] < ids[next!] {
                next = member
            }
        }
        var result: [Int] = []
        if let previous {
            result.append(previous)
        } else {
            for site in DelaunayGraph.neighboursOfFirstSite(sites.representatives.map { positions[$0] }, in: space) {
                var representative = sites.members[site][0]
                for member in sites.members[site] where ids[member] < ids[representative] { representative = member }
                result.append(representative)
            }
        }
        if let next { result.append(next) }
        return (result.sorted(), previous)
    }

    /// Whether two validated positions are one point (one site).
    static func onePoint(_ a: Position, _ b: Position, in space: CoordinateSpace) -> Bool {
        SiteKey(a, in: space) == SiteKey(b, in: space)
    }
}
