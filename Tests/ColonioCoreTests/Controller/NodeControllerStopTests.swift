import ColonioCore
import Testing

/// What a node's pending work becomes when the application leaves the network.
struct NodeControllerStopTests {
    /// A publication that waits for a subscriber's receipt cannot tell the application it was delivered
    /// when the node leaves first (it used to complete without an error, so `colonio.js` resolved it).
    @Test func aPublicationWaitingForAReceiptFailsAsNetworkClosedOnStop() throws {
        let network = ControllerNetwork()
        let publisher = network.addNode(id: NodeID(high: 1, low: 0))
        let subscriber = network.addNode(id: NodeID(high: 2, low: 0))
        network.carryOut(try network.nodes[publisher].controller.setPosition(Position(x: 10, y: 10), now: network.now), at: publisher)
        network.nodes[subscriber].controller.setSubscribed("t", true)
        network.carryOut(try network.nodes[subscriber].controller.setPosition(Position(x: 12, y: 10), now: network.now), at: subscriber)
        network.run()

        let published = try network.nodes[publisher].controller.publish(
            topic: "t", payload: [1], center: Position(x: 12, y: 10), radius: 5,
            options: SpreadOptions(requireReceiver: true), now: network.now)
        #expect(published.id != 0)
        // Not carried out: the receipt never comes back before the node stops.
        let stopped = network.nodes[publisher].controller.stop(now: network.now)
        #expect(stopped.contains(.publishCompleted(id: published.id, error: .networkClosed)))
        #expect(!stopped.contains(.publishCompleted(id: published.id, error: nil)))
        #expect(SpreadError.networkClosed.description.contains("may have been delivered"))
    }
}
