import Foundation

/// `demo-topology.svg`: the ring (nodes at the angle of their ID, with their links) beside the map
/// (nodes at their positions, the same links, and the pub/sub circle).
struct DemoTopology {
    struct Node {
        var label: String
        /// The node ID's first 64 bits: the ring angle.
        var ringPosition: UInt64
        var x: Double
        var y: Double
        var killed: Bool
        var insideCircle: Bool
    }

    var nodes: [Node]
    /// Links as pairs of indices into ``nodes``.
    var links: [(Int, Int)]
    var circle: (x: Double, y: Double, radius: Double)
    var mapSize: Double = 1000

    func svg() -> String {
        let panel = 460.0
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(panel * 2 + 60))" height="\(Int(panel + 70))" \
            font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="20" y="24" font-size="16">Ring (angle = node ID) and links</text>
            <text x="\(Int(panel + 40))" y="24" font-size="16">Map \(Int(mapSize)) x \(Int(mapSize)), links and the pub/sub circle</text>

            """
        // Ring panel.
        let ringCenter = (x: 20 + panel / 2, y: 40 + panel / 2)
        let ringRadius = panel / 2 - 30
        func ringPoint(_ node: Node) -> (Double, Double) {
            let angle = Double(node.ringPosition) / Double(UInt64.max) * 2 * .pi - .pi / 2
            return (ringCenter.x + ringRadius * cos(angle), ringCenter.y + ringRadius * sin(angle))
        }
        out += "<circle cx=\"\(f(ringCenter.x))\" cy=\"\(f(ringCenter.y))\" r=\"\(f(ringRadius))\" fill=\"none\" stroke=\"#ccc\"/>\n"
        for (a, b) in links {
            let (p, q) = (ringPoint(nodes[a]), ringPoint(nodes[b]))
            out += "<line x1=\"\(f(p.0))\" y1=\"\(f(p.1))\" x2=\"\(f(q.0))\" y2=\"\(f(q.1))\" stroke=\"#7aa6d6\"/>\n"
        }
        for node in nodes {
            out += marker(at: ringPoint(node), node)
        }
        // Map panel.
        let origin = (x: panel + 40, y: 40.0)
        let scale = panel / mapSize
        func mapPoint(_ node: Node) -> (Double, Double) { (origin.x + node.x * scale, origin.y + node.y * scale) }
        out += "<rect x=\"\(f(origin.x))\" y=\"\(f(origin.y))\" width=\"\(f(panel))\" height=\"\(f(panel))\" fill=\"#f8f8f8\" stroke=\"#999\"/>\n"
        out += "<circle cx=\"\(f(origin.x + circle.x * scale))\" cy=\"\(f(origin.y + circle.y * scale))\" "
            + "r=\"\(f(circle.radius * scale))\" fill=\"#ffd70040\" stroke=\"#d4a000\" stroke-dasharray=\"4 3\"/>\n"
        for (a, b) in links {
            let (p, q) = (mapPoint(nodes[a]), mapPoint(nodes[b]))
            out += "<line x1=\"\(f(p.0))\" y1=\"\(f(p.1))\" x2=\"\(f(q.0))\" y2=\"\(f(q.1))\" stroke=\"#7aa6d6\"/>\n"
        }
        for node in nodes {
            out += marker(at: mapPoint(node), node)
        }
        out += "<text x=\"20\" y=\"\(Int(panel + 60))\">filled: subscriber inside the circle; grey: node killed "
            + "during the demo (its links are the ones before it was killed)</text>\n</svg>\n"
        return out
    }

    private func marker(at point: (Double, Double), _ node: Node) -> String {
        let fill = node.killed ? "#bbb" : node.insideCircle ? "#d4a000" : "white"
        return "<circle cx=\"\(f(point.0))\" cy=\"\(f(point.1))\" r=\"7\" fill=\"\(fill)\" stroke=\"#234\"/>"
            + "<text x=\"\(f(point.0 + 9))\" y=\"\(f(point.1 - 8))\">\(node.label)</text>\n"
    }

    private func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
