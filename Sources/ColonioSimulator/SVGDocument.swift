import Foundation

/// A minimal SVG writer: shapes are appended as elements and ``text`` is the whole document.
public struct SVGDocument: Sendable {
    /// Width of the drawing in user units.
    public let width: Double
    /// Height of the drawing in user units.
    public let height: Double
    private var body: [String] = []

    /// Creates an empty drawing with a white background.
    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.append(#"<rect width="100%" height="100%" fill="white"/>"#)
    }

    /// The document as text.
    public var text: String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
            + "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\">\n"
            + body.joined(separator: "\n") + "\n</svg>\n"
    }

    /// Starts a group; `attributes` is raw attribute text (for example `stroke="grey"`).
    public mutating func beginGroup(_ attributes: String) { body.append("<g \(attributes)>") }

    /// Ends the innermost group.
    public mutating func endGroup() { body.append("</g>") }

    /// Adds raw markup (definitions such as clip paths).
    public mutating func raw(_ markup: String) { body.append(markup) }

    /// A circle; `attributes` is raw attribute text.
    public mutating func circle(x: Double, y: Double, radius: Double, _ attributes: String = "") {
        body.append("<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(radius))\" \(attributes)/>")
    }

    /// A straight line.
    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, _ attributes: String = "") {
        body.append("<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" "
            + "y2=\"\(Self.number(y2))\" \(attributes)/>")
    }

    /// An open polyline through `points`.
    public mutating func polyline(_ points: [(x: Double, y: Double)], _ attributes: String = "") {
        guard points.count >= 2 else { return }
        let list = points.map { "\(Self.number($0.x)),\(Self.number($0.y))" }.joined(separator: " ")
        body.append("<polyline points=\"\(list)\" fill=\"none\" \(attributes)/>")
    }

    /// A quadratic Bézier curve from (x1, y1) to (x2, y2) bending towards (cx, cy).
    public mutating func curve(
        _ x1: Double, _ y1: Double, control cx: Double, _ cy: Double, to x2: Double, _ y2: Double, _ attributes: String = ""
    ) {
        body.append("<path d=\"M\(Self.number(x1)),\(Self.number(y1)) Q\(Self.number(cx)),\(Self.number(cy)) "
            + "\(Self.number(x2)),\(Self.number(y2))\" fill=\"none\" \(attributes)/>")
    }

    /// A text label (escaped).
    public mutating func label(_ string: String, x: Double, y: Double, _ attributes: String = "") {
        let escaped = string.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        body.append("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" \(attributes)>\(escaped)</text>")
    }

    /// A coordinate with at most one decimal: enough at this scale, and keeps 10,000-node pictures small.
    static func number(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.1f", rounded)
    }
}
