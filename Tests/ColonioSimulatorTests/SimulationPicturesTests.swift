import ColonioCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import ColonioSimulator

/// Counts elements while parsing; a parse error means the document is not well-formed XML.
private final class ElementCounter: NSObject, XMLParserDelegate {
    var nodeCircles = 0
    var elements = 0
    var rootName: String?

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements += 1
        if rootName == nil { rootName = name }
        if name == "circle", attributes["class"] == "node" { nodeCircles += 1 }
    }

    static func count(_ svg: String) -> (wellFormed: Bool, root: String?, nodeCircles: Int) {
        let parser = XMLParser(data: Data(svg.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        let ok = parser.parse()
        return (ok, counter.rootName, counter.nodeCircles)
    }
}

@Suite struct SimulationPicturesTests {
    @Test(arguments: ["plane", "sphere", "torus"])
    func picturesAreWellFormedWithOneCirclePerNode(space: String) {
        var options = ScenarioOptions(nodeCount: 50, space: ScenarioOptions.space(named: space)!, seed: 5)
        options.routingSamples = 20
        options.circles = 3
        options.kvsKeys = 2
        let scenario = SimulationScenario(options: options)
        _ = scenario.run()
        for svg in [scenario.ringPicture(), scenario.spacePicture()] {
            let parsed = ElementCounter.count(svg)
            #expect(parsed.wellFormed)
            #expect(parsed.root == "svg")
            #expect(parsed.nodeCircles == 50)
        }
    }

    @Test func globeEdgesNeverSpanTheDateLine() {
        // An edge from 170°E to 170°W crosses the date line: it must become two pieces meeting the map's edges.
        let arc = SimulationPictures.greatCircle(Position(latitude: 10, longitude: 170), Position(latitude: -5, longitude: -170))
        let pieces = SimulationPictures.splitAtDateLine(arc)
        #expect(pieces.count == 2)
        #expect(pieces[0].last?.longitude == 180)
        #expect(pieces[1].first?.longitude == -180)
        #expect(pieces[0].last?.latitude == pieces[1].first?.latitude)
        for piece in pieces {
            for (a, b) in zip(piece, piece.dropFirst()) { #expect(abs(a.longitude - b.longitude) < 10) }
        }
        // A cap around the pole stays on the map and is split only at the date line.
        let cap = SimulationPictures.splitAtDateLine(SimulationPictures.capBoundary(Position(latitude: 90, longitude: 0), angle: 0.2))
        #expect(cap.allSatisfy { $0.allSatisfy { abs($0.longitude) <= 180 && abs($0.latitude) <= 90 } })
    }

    @Test func documentEscapesTextAndCountsNodes() {
        var svg = SVGDocument(width: 10, height: 10)
        svg.circle(x: 1, y: 2, radius: 0.5, #"class="node""#)
        svg.label("a < b & c", x: 0, y: 9)
        let parsed = ElementCounter.count(svg.text)
        #expect(parsed.wellFormed)
        #expect(parsed.nodeCircles == 1)
        #expect(svg.text.contains("a &lt; b &amp; c"))
    }
}
