/// What the application asks of the node. Handlers, subscriptions and the position are kept across
/// sessions; the rest needs a signed-in node (``NodeCallError/notConnected`` otherwise).
extension NodeController {
    /// Registers or removes the handler for messages and requests sent to `name`.
    public mutating func setHandler(_ name: String, registered: Bool) {
        if registered {
            handlers.insert(Array(name.utf8))
            session?.machine.registerHandler(name)
        } else {
            handlers.remove(Array(name.utf8))
            session?.machine.unregisterHandler(name)
        }
    }

    /// Sends a one-way message to the handler `name` at `destination`.
    public mutating func send(name: String, payload: [UInt8], to destination: Destination, now: MonotonicTime) throws(NodeCallError) -> [NodeAction] {
        guard session != nil else { throw .notConnected }
        do throws(NodeError) {
            interpret(try session!.machine.send(name: name, payload: payload, to: destination, now: now), now: now)
        } catch {
            throw NodeCallError(error)
        }
        return take()
    }

    /// Sends a request; its outcome comes as ``NodeAction/requestCompleted(requestID:outcome:)`` with the returned ID.
    public mutating func request(
        name: String, payload: [UInt8], to destination: Destination, now: MonotonicTime
    ) throws(NodeCallError) -> (requestID: UInt64, actions: [NodeAction]) {
        guard session != nil else { throw .notConnected }
        let started: (requestID: UInt64, directives: [NodeDirective])
        do throws(NodeError) {
            started = try session!.machine.request(name: name, payload: payload, to: destination, now: now)
        } catch {
            throw NodeCallError(error)
        }
        session!.applicationRequests.insert(started.requestID)
        interpret(started.directives, now: now)
        return (started.requestID, take())
    }

    /// Answers the request delivered with `replyID`.
    public mutating func respond(replyID: UInt64, payload: [UInt8], now: MonotonicTime) -> [NodeAction] {
        guard let token = session?.replies.removeValue(forKey: replyID) else { return [] }
        interpret(session!.machine.respond(to: token, payload: payload, now: now), now: now)
        return take()
    }

    /// Answers the request delivered with `replyID` with a failure (no handler, or the handler threw).
    public mutating func respond(replyID: UInt64, failure: DeliveryFailure, now: MonotonicTime) -> [NodeAction] {
        guard let token = session?.replies.removeValue(forKey: replyID) else { return [] }
        interpret(session!.machine.respond(to: token, failure: failure, now: now), now: now)
        return take()
    }

    /// Places the node in the network's coordinate space (kept for later sessions).
    public mutating func setPosition(_ newPosition: Position, now: MonotonicTime) throws(NodeCallError) -> [NodeAction] {
        if session != nil {
            do throws(GeometryError) {
                interpret(try session!.geo.setPosition(newPosition, now: now), now: now)
            } catch {
                throw .invalidPosition(error)
            }
        }
        position = newPosition
        return take()
    }

    /// Subscribes to or unsubscribes from `topic` (kept for later sessions).
    public mutating func setSubscribed(_ topic: String, _ subscribed: Bool) {
        if subscribed {
            subscriptions.insert(Array(topic.utf8))
            session?.geo.subscribe(topic)
        } else {
            subscriptions.remove(Array(topic.utf8))
            session?.geo.unsubscribe(topic)
        }
    }

    /// Publishes to the subscribers of `topic` inside the circle. With `options.requireReceiver` the
    /// returned ID (else 0) comes back in ``NodeAction/publishCompleted(id:error:)``.
    public mutating func publish(
        topic: String, payload: [UInt8], center: Position, radius: Double, options: SpreadOptions, now: MonotonicTime
    ) throws(NodeCallError) -> (id: UInt64, actions: [NodeAction]) {
        guard session != nil else { throw .notConnected }
        let published: (id: SpreadMessageID, directives: [GeoDirective])
        do throws(SpreadError) {
            published = try session!.geo.publish(
                topic: topic, payload: payload, center: center, radius: radius, options: options, now: now)
        } catch {
            throw .spread(error)
        }
        var id: UInt64 = 0
        if options.requireReceiver {
            id = session!.nextPublicationID
            session!.nextPublicationID += 1
            session!.publications[published.id] = id
        }
        interpret(published.directives, now: now)
        return (id, take())
    }

    /// Starts a KVS operation; it finishes with ``NodeAction/kvsCompleted(_:_:)`` under the returned ID.
    public mutating func kvs(
        _ command: KVSCommand, key: String, now: MonotonicTime
    ) throws(NodeCallError) -> (operation: KVSClientOperationID, actions: [NodeAction]) {
        guard session != nil else { throw .notConnected }
        let started = session!.kvs.start(command, key: KVSKey(key), now: now)
        interpret(started.directives, now: now)
        return (started.operation, take())
    }
}
