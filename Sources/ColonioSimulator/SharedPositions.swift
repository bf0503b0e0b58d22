import ColonioCore

/// Node positions where a share of the nodes sit on points they share with others, as in real use (people
/// in one building, GPS fixes rounded to a few decimals, a game's spawn point, nodes that never set a
/// position): pub/sub must stay exact there (issue #17).
///
/// The shared points are the space's awkward places first — a pole, reached at many longitudes; both
/// sides of the date line; the torus seams and corners, written as either end of the period; the plane's
/// corners and edges — then random points. Groups take 50, 2, 3, 5, 2, 3, ... nodes, so one large crowd and
/// many small ones; the rest of the nodes are scattered uniformly.
public struct SharedPositions: Sendable {
    /// Every node's position, in a random order.
    public private(set) var positions: [Position] = []
    /// One spelling of each shared point.
    public private(set) var points: [Position] = []

    /// `count` positions, `sharedFraction` of them on shared points.
    public init(count: Int, sharedFraction: Double, in space: CoordinateSpace, using random: inout SplitMix64) {
        let shared = Swift.min(count, Int((Double(count) * sharedFraction).rounded()))
        positions.reserveCapacity(count)
        let sizes = [50, 2, 3, 5, 2, 3]
        var group = 0
        while positions.count < shared {
            let size = Swift.min(sizes[group == 0 ? 0 : 1 + (group - 1) % (sizes.count - 1)], shared - positions.count)
            let spellings = Self.spot(group, in: space, using: &random)
            for member in 0..<size { positions.append(spellings[member % spellings.count]) }
            if size > 1 { points.append(spellings[0]) }
            group += 1
        }
        while positions.count < count { positions.append(SimulationScenario.randomPosition(in: space, using: &random)) }
        // Shuffled, so that shared nodes join among the others.
        for index in positions.indices.reversed() {
            positions.swapAt(index, Int(random.next() % UInt64(index + 1)))
        }
    }

    /// The ways the nodes of group `index` write their common point (a pole at any longitude, the date line
    /// as 180 or -180, a seam as 0 or the period).
    static func spot(_ index: Int, in space: CoordinateSpace, using random: inout SplitMix64) -> [Position] {
        let anywhere = SimulationScenario.randomPosition(in: space, using: &random)
        switch space {
        case .sphere:
            switch index {
            case 1: return (0..<8).map { Position(latitude: 90, longitude: Double($0 * 45 - 180)) }
            case 2: return [Position(latitude: -90, longitude: 0), Position(latitude: -90, longitude: 33)]
            case 3: return [Position(latitude: anywhere.latitude, longitude: 180),
                            Position(latitude: anywhere.latitude, longitude: -180)]
            default: return [anywhere]
            }
        case .torus(let width, let height):
            switch index {
            case 1: return [Position(x: 0, y: 0), Position(x: width, y: height), Position(x: width, y: 0), Position(x: 0, y: height)]
            case 2: return [Position(x: 0, y: anywhere.y), Position(x: width, y: anywhere.y)]
            case 3: return [Position(x: anywhere.x, y: 0), Position(x: anywhere.x, y: height)]
            default: return [anywhere]
            }
        case .plane(let width, let height):
            switch index {
            case 1: return [Position(x: 0, y: 0)]
            case 2: return [Position(x: width, y: height)]
            case 3: return [Position(x: width / 2, y: 0)]
            case 4: return [Position(x: 0, y: height / 3)]
            default: return [anywhere]
            }
        }
    }
}
