/// The greedy step that carries a publication towards its circle: to the neighbour nearest the target,
/// only if it is strictly nearer than this node.
///
/// Strictly nearer makes every hop shorten the distance, so a message never loops; on a Delaunay graph
/// a node that is not nearest the target always has a strictly nearer neighbour (nodes on one point count
/// as one site, see ``DelaunayGraph``), so the walk never stops early either. Equal distances are common
/// (nodes on one point, symmetric layouts): the lowest node ID wins, so the choice does not depend on the
/// order neighbours are listed in and every build picks the same hop.
enum GreedyForwarding {
    /// The neighbour to forward to, or `nil` when no neighbour is nearer `target` than `position`.
    static func nextHop(
        from position: Position, toward target: Position, among neighbours: [(node: NodeID, position: Position)],
        in space: CoordinateSpace
    ) -> NodeID? {
        var best: (node: NodeID, distance: Double)?
        let own = space.distance(position, target)
        for (node, neighbourPosition) in neighbours {
            let distance = space.distance(neighbourPosition, target)
            guard distance < own else { continue }
            if let current = best, current.distance < distance || (current.distance == distance && current.node < node) {
                continue
            }
            best = (node, distance)
        }
        return best?.node
    }

    /// Where a site member (``SiteLinks``) with no nearer neighbour sends a publication: the lowest ID
    /// below its own among its neighbours on its point (its chain's previous member, or the
    /// representative itself) that is no farther from `target`, or `nil` for a representative. Node IDs
    /// fall along the way while the distance does not grow, so this cannot loop with ``nextHop``.
    static func towardRepresentative(
        of id: NodeID, at position: Position, toward target: Position,
        among neighbours: [(node: NodeID, position: Position)], in space: CoordinateSpace
    ) -> NodeID? {
        let own = space.distance(position, target)
        var best: NodeID?
        for (node, neighbourPosition) in neighbours where node < id && node < (best ?? id)
            && SiteLinks.onePoint(neighbourPosition, position, in: space) && space.distance(neighbourPosition, target) <= own {
            best = node
        }
        return best
    }
}
