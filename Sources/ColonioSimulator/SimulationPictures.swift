import ColonioCore
import Foundation

/// SVG pictures of a simulated network: the ring, and the pub/sub space with its Delaunay links.
///
/// Every node is drawn as one `<circle class="node">`, so a picture can be checked by counting them.
public enum SimulationPictures {
    /// A pub/sub circle to draw, with the nodes that received its message.
    public struct Circle: Sendable {
        /// The circle's centre.
        public var center: Position
        /// Its radius (metres on a sphere).
        public var radius: Double
        /// Indices (into the positions drawn) of the nodes that received the message.
        public var receivers: Set<Int>

        /// Creates a circle.
        public init(center: Position, radius: Double, receivers: Set<Int>) {
            self.center = center
            self.radius = radius
            self.receivers = receivers
        }
    }

    // MARK: - Ring

    /// The ring: nodes on a circle at their ID's angle (0 at the top, clockwise), a line from each node to
    /// its first successor, and the long links of `longLinks` as curves through the inside.
    public static func ring(nodes: [NodeID], successors: [(NodeID, NodeID)], longLinks: [(NodeID, NodeID)]) -> String {
        let size = 1000.0, center = size / 2, radius = size * 0.44
        func point(_ id: NodeID) -> (x: Double, y: Double) {
            let angle = Double(id.high) / 18_446_744_073_709_551_616.0 * 2 * Double.pi - Double.pi / 2
            return (center + radius * cos(angle), center + radius * sin(angle))
        }
        var svg = SVGDocument(width: size, height: size + 40)
        svg.circle(x: center, y: center, radius: radius, ##"fill="none" stroke="#eeeeee" stroke-width="1""##)
        svg.beginGroup(##"stroke="#4a90d9" stroke-width="0.4" fill="none" opacity="0.5""##)
        for (from, to) in longLinks {
            let a = point(from), b = point(to)
            let mid = ((a.x + b.x) / 2, (a.y + b.y) / 2)
            svg.curve(a.x, a.y, control: center + 0.3 * (mid.0 - center), center + 0.3 * (mid.1 - center), to: b.x, b.y)
        }
        svg.endGroup()
        svg.beginGroup(##"stroke="#333333" stroke-width="0.8""##)
        for (from, to) in successors {
            let a = point(from), b = point(to)
            svg.line(a.x, a.y, b.x, b.y)
        }
        svg.endGroup()
        let dot = nodes.count > 2_000 ? 1.2 : 3.0
        svg.beginGroup(##"fill="#d94a4a""##)
        for id in nodes {
            let p = point(id)
            svg.circle(x: p.x, y: p.y, radius: dot, #"class="node""#)
        }
        svg.endGroup()
        svg.label("ring: \(nodes.count) nodes, successor links (black), long links of sampled nodes (blue)",
                 x: 20, y: size + 25, #"font-family="sans-serif" font-size="16""#)
        return svg.text
    }

    // MARK: - Spaces

    /// The pub/sub space: nodes at their positions, Delaunay `edges` (index pairs), and optionally a
    /// pub/sub circle whose receivers are highlighted. A sphere is drawn in the equirectangular
    /// projection with edges along great circles, split where they cross the date line.
    public static func space(
        _ space: CoordinateSpace, positions: [Position], edges: [(Int, Int)], circle: Circle? = nil
    ) -> String {
        switch space {
        case .plane(let width, let height):
            return flat(width: width, height: height, wraps: false, positions: positions, edges: edges, circle: circle)
        case .torus(let width, let height):
            return flat(width: width, height: height, wraps: true, positions: positions, edges: edges, circle: circle)
        case .sphere(let radius):
            return globe(sphereRadius: radius, positions: positions, edges: edges, circle: circle)
        }
    }

    private static func nodeDots(
        _ svg: inout SVGDocument, _ points: [(x: Double, y: Double)], receivers: Set<Int>
    ) {
        let dot = points.count > 2_000 ? 1.5 : 3.0
        svg.beginGroup(##"fill="#555555""##)
        for (index, p) in points.enumerated() where !receivers.contains(index) {
            svg.circle(x: p.x, y: p.y, radius: dot, #"class="node""#)
        }
        svg.endGroup()
        svg.beginGroup(##"fill="#e03030""##)
        for (index, p) in points.enumerated() where receivers.contains(index) {
            svg.circle(x: p.x, y: p.y, radius: dot * 1.5, #"class="node""#)
        }
        svg.endGroup()
    }

    private static func flat(
        width: Double, height: Double, wraps: Bool, positions: [Position], edges: [(Int, Int)], circle: Circle?
    ) -> String {
        let margin = 20.0
        let scale = 1000 / max(width, height)
        let drawnWidth = width * scale, drawnHeight = height * scale
        func project(_ x: Double, _ y: Double) -> (x: Double, y: Double) { (margin + x * scale, margin + y * scale) }
        var svg = SVGDocument(width: drawnWidth + 2 * margin, height: drawnHeight + 2 * margin + 30)
        svg.raw("<defs><clipPath id=\"area\"><rect x=\"\(margin)\" y=\"\(margin)\" width=\"\(SVGDocument.number(drawnWidth))\" "
            + "height=\"\(SVGDocument.number(drawnHeight))\"/></clipPath></defs>")
        svg.raw("<rect x=\"\(margin)\" y=\"\(margin)\" width=\"\(SVGDocument.number(drawnWidth))\" "
            + "height=\"\(SVGDocument.number(drawnHeight))\" fill=\"none\" stroke=\"#999999\""
            + (wraps ? " stroke-dasharray=\"6 4\"" : "") + "/>")
        svg.beginGroup(##"stroke="#4a90d9" stroke-width="0.5" clip-path="url(#area)""##)
        for (i, j) in edges {
            let a = positions[i], b = positions[j]
            guard wraps else {
                let p = project(a.x, a.y), q = project(b.x, b.y)
                svg.line(p.x, p.y, q.x, q.y)
                continue
            }
            // The shortest wrapped segment, drawn from both ends so each half shows at its own side.
            let dx = wrappedDelta(b.x - a.x, width), dy = wrappedDelta(b.y - a.y, height)
            let p = project(a.x, a.y), q = project(a.x + dx, a.y + dy)
            svg.line(p.x, p.y, q.x, q.y)
            if a.x + dx < 0 || a.x + dx > width || a.y + dy < 0 || a.y + dy > height {
                let r = project(b.x, b.y), s = project(b.x - dx, b.y - dy)
                svg.line(r.x, r.y, s.x, s.y)
            }
        }
        svg.endGroup()
        if let circle {
            svg.beginGroup(##"fill="#e03030" fill-opacity="0.08" stroke="#e03030" stroke-width="2" clip-path="url(#area)""##)
            let offsets: [Double] = wraps ? [-1, 0, 1] : [0]
            for ox in offsets {
                for oy in offsets {
                    let c = project(circle.center.x + ox * width, circle.center.y + oy * height)
                    svg.circle(x: c.x, y: c.y, radius: circle.radius * scale)
                }
            }
            svg.endGroup()
        }
        nodeDots(&svg, positions.map { project($0.x, $0.y) }, receivers: circle?.receivers ?? [])
        let kind = wraps ? "torus (edges wrap at the dashed border)" : "plane"
        svg.label("\(kind): \(positions.count) nodes, Delaunay links (blue)"
                    + (circle.map { ", pub/sub circle with \($0.receivers.count) receivers (red)" } ?? ""),
                 x: margin, y: drawnHeight + 2 * margin + 15, #"font-family="sans-serif" font-size="16""#)
        return svg.text
    }

    private static func wrappedDelta(_ delta: Double, _ period: Double) -> Double {
        delta - period * (delta / period).rounded(.toNearestOrEven)
    }

    // MARK: - Globe

    private static func globe(sphereRadius: Double, positions: [Position], edges: [(Int, Int)], circle: Circle?) -> String {
        let width = 1440.0, height = 720.0, margin = 20.0
        func project(_ longitude: Double, _ latitude: Double) -> (x: Double, y: Double) {
            (margin + (longitude + 180) / 360 * width, margin + (90 - latitude) / 180 * height)
        }
        var svg = SVGDocument(width: width + 2 * margin, height: height + 2 * margin + 30)
        svg.raw("<rect x=\"\(margin)\" y=\"\(margin)\" width=\"\(width)\" height=\"\(height)\" fill=\"#f4f8fc\" stroke=\"#999999\"/>")
        svg.beginGroup(##"stroke="#dddddd" stroke-width="0.5""##)
        for longitude in stride(from: -150.0, through: 150, by: 30) {
            let top = project(longitude, 90), bottom = project(longitude, -90)
            svg.line(top.x, top.y, bottom.x, bottom.y)
        }
        for latitude in stride(from: -60.0, through: 60, by: 30) {
            let left = project(-180, latitude), right = project(180, latitude)
            svg.line(left.x, left.y, right.x, right.y)
        }
        svg.endGroup()
        svg.beginGroup(##"stroke="#4a90d9" stroke-width="0.5""##)
        for (i, j) in edges {
            for piece in splitAtDateLine(greatCircle(positions[i], positions[j])) {
                svg.polyline(piece.map { project($0.longitude, $0.latitude) })
            }
        }
        svg.endGroup()
        if let circle {
            svg.beginGroup(##"stroke="#e03030" stroke-width="2""##)
            for piece in splitAtDateLine(capBoundary(circle.center, angle: circle.radius / sphereRadius)) {
                svg.polyline(piece.map { project($0.longitude, $0.latitude) })
            }
            svg.endGroup()
        }
        nodeDots(&svg, positions.map { project($0.longitude, $0.latitude) }, receivers: circle?.receivers ?? [])
        svg.label("sphere, equirectangular projection: \(positions.count) nodes, Delaunay links along great circles (blue)"
                    + (circle.map { ", pub/sub cap with \($0.receivers.count) receivers (red)" } ?? ""),
                 x: margin, y: height + 2 * margin + 15, #"font-family="sans-serif" font-size="16""#)
        return svg.text
    }

    private static func unitVector(_ p: Position) -> (Double, Double, Double) {
        let phi = p.latitude * Double.pi / 180, lambda = p.longitude * Double.pi / 180
        return (cos(phi) * cos(lambda), cos(phi) * sin(lambda), sin(phi))
    }

    private static func position(_ v: (Double, Double, Double)) -> Position {
        let length = sqrt(v.0 * v.0 + v.1 * v.1 + v.2 * v.2)
        return Position(latitude: asin(max(-1, min(1, v.2 / length))) * 180 / Double.pi,
                        longitude: atan2(v.1, v.0) * 180 / Double.pi)
    }

    /// Points along the shorter great-circle arc from `a` to `b`, at most 2 degrees apart.
    static func greatCircle(_ a: Position, _ b: Position) -> [Position] {
        let u = unitVector(a), v = unitVector(b)
        let dot = max(-1, min(1, u.0 * v.0 + u.1 * v.1 + u.2 * v.2))
        let angle = acos(dot)
        let steps = max(1, Int((angle / (2 * Double.pi / 180)).rounded(.up)))
        guard angle > 1e-9, sin(angle) > 1e-9 else { return [a, b] }
        return (0...steps).map { step in
            let t = Double(step) / Double(steps)
            let s = sin((1 - t) * angle) / sin(angle), r = sin(t * angle) / sin(angle)
            return step == 0 ? a : step == steps ? b : position((s * u.0 + r * v.0, s * u.1 + r * v.1, s * u.2 + r * v.2))
        }
    }

    /// The boundary of the spherical cap of `angle` radians around `center`, every 4 degrees of bearing.
    static func capBoundary(_ center: Position, angle: Double) -> [Position] {
        let phi = center.latitude * Double.pi / 180, lambda = center.longitude * Double.pi / 180
        let delta = min(angle, Double.pi)
        return stride(from: 0.0, through: 360, by: 4).map { bearingDegrees in
            let theta = bearingDegrees * Double.pi / 180
            let latitude = asin(max(-1, min(1, sin(phi) * cos(delta) + cos(phi) * sin(delta) * cos(theta))))
            let longitude = lambda + atan2(sin(theta) * sin(delta) * cos(phi), cos(delta) - sin(phi) * sin(latitude))
            var degrees = longitude * 180 / Double.pi
            degrees -= 360 * ((degrees + 180) / 360).rounded(.down)
            return Position(latitude: latitude * 180 / Double.pi, longitude: degrees)
        }
    }

    /// Splits a path of positions where it crosses the date line, ending one piece at longitude ±180 and
    /// starting the next at the opposite edge, so no segment smears across the map.
    static func splitAtDateLine(_ points: [Position]) -> [[Position]] {
        guard var previous = points.first else { return [] }
        var pieces: [[Position]] = []
        var current = [previous]
        for point in points.dropFirst() {
            let jump = point.longitude - previous.longitude
            if abs(jump) > 180 {
                let edge: Double = previous.longitude >= 0 ? 180 : -180
                let unwrapped = point.longitude + (jump > 0 ? -360 : 360)
                let span = unwrapped - previous.longitude
                let t = span == 0 ? 0 : (edge - previous.longitude) / span
                let latitude = previous.latitude + t * (point.latitude - previous.latitude)
                current.append(Position(latitude: latitude, longitude: edge))
                pieces.append(current)
                current = [Position(latitude: latitude, longitude: -edge)]
            }
            current.append(point)
            previous = point
        }
        pieces.append(current)
        return pieces.filter { $0.count >= 2 }
    }
}
