/// Positions grouped into sites: the positions that are one point of a ``CoordinateSpace``.
///
/// Delaunay predicates are defined for distinct points only; a node's local view
/// (``DelaunayGraph/neighboursOfFirst(_:in:)``) triangulates one position per site and then hands each
/// site's neighbours to all of its members, as the whole graph does. Without this, a second node on a
/// point counted as an obstacle on every edge through that point, and both nodes ended up linked only to
/// each other, cut off from pub/sub (issue #17).
///
/// One point means: equal coordinates on a plane and on a torus (validated positions: a torus has
/// already wrapped `width` to 0); on a sphere, the same cell of the grid the whole graph rounds unit
/// vectors to, so every longitude at a pole, 180 and -180, and positions closer than about 10 µm of arc
/// fall together.
struct CoincidentSites {
    /// The first position of each site, in order of first appearance (the first position's site is 0).
    private(set) var representatives: [Int] = []
    /// The positions of each site, ascending.
    private(set) var members: [[Int]] = []

    init(_ positions: [Position], in space: CoordinateSpace) {
        var siteAt: [SiteKey: Int] = [:]
        for (index, position) in positions.enumerated() {
            let key = SiteKey(position, in: space)
            if let site = siteAt[key] {
                members[site].append(index)
            } else {
                siteAt[key] = representatives.count
                representatives.append(index)
                members.append([index])
            }
        }
    }
}

/// What identifies a point: coordinate bit patterns (plane, torus) or a grid cell of the unit vector.
struct SiteKey: Hashable {
    var a: UInt64, b: UInt64, c: UInt64

    init(_ position: Position, in space: CoordinateSpace) {
        switch space {
        case .plane, .torus:
            // Adding zero turns -0.0 into 0.0: one point, two bit patterns otherwise.
            a = (position.x + 0).bitPattern
            b = (position.y + 0).bitPattern
            c = 0
        case .sphere:
            let cell = DelaunayGraph.sphereGridPoint(CoordinateSpace.unitVector(position))
            a = UInt64(bitPattern: cell.x)
            b = UInt64(bitPattern: cell.y)
            c = UInt64(bitPattern: cell.z)
        }
    }
}
