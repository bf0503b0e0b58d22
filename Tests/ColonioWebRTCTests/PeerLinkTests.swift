import ColonioWebRTC
import Testing

extension WebRTCTests {
    /// Two links of one engine in this process, connected over loopback.
    @Suite
    struct PeerLinkTests {
        /// Bytes that differ from message to message and along a message, so that a swap or a gap shows.
        static func pattern(size: Int, seed: UInt8) -> [UInt8] {
            (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &+ $0 >> 8) }
        }

        @Test func messagesOfOneByte64KiBAnd1MiBArriveIntactAndInOrder() async throws {
            let engine = try LinkPair.makeEngine()
            let pair = try await LinkPair.connect(engine: engine)
            let sizes = [1, 65_536, 1_048_576, 0, 65_537, 200_000]
            let messages = sizes.enumerated().map { Self.pattern(size: $0.element, seed: UInt8($0.offset)) }
            for message in messages { try await pair.offerer.send(message) }
            for (index, message) in messages.enumerated() {
                let received = try await pair.answererInbox.message()
                #expect(received.count == message.count, "message \(index)")
                #expect(received == message, "message \(index)")
            }
            // And the other way round.
            for message in messages.reversed() { try await pair.answerer.send(message) }
            for message in messages.reversed() {
                #expect(try await pair.offererInbox.message() == message)
            }
            await pair.close()
        }

        /// A peer that accepts smaller messages than libwebrtc (Safari and aiortc advertise 64 KiB, some
        /// stacks less) gets fragments within its `a=max-message-size`, never a message it would refuse.
        @Test func fragmentsStayWithinThePeersMaximumMessageSize() async throws {
            let engine = try LinkPair.makeEngine()
            // The offerer accepts 16 KiB, the answerer 64 KiB (each side's limit is what it advertises).
            let pair = try await LinkPair.connect(
                engine: engine,
                rewritingOffer: { LinkPair.advertising(maximumMessageSize: 16_384, in: $0) },
                rewritingAnswer: { LinkPair.advertising(maximumMessageSize: 65_536, in: $0) })
            let messages = [1, 16_384, 65_536, 1_048_576].enumerated().map {
                Self.pattern(size: $0.element, seed: UInt8($0.offset))
            }
            for message in messages { try await pair.answerer.send(message) }
            for (index, message) in messages.enumerated() {
                #expect(try await pair.offererInbox.message() == message, "to the 16 KiB side, message \(index)")
            }
            for message in messages { try await pair.offerer.send(message) }
            for (index, message) in messages.enumerated() {
                #expect(try await pair.answererInbox.message() == message, "to the 64 KiB side, message \(index)")
            }
            await pair.close()
        }

        /// libwebrtc's data channel queues at most 16 MB and closes the channel when a send would exceed
        /// that; one message larger than that must still arrive, not close the link.
        @Test func aMessageLargerThanTheChannelsOwnQueueArrives() async throws {
            let engine = try LinkPair.makeEngine()
            let pair = try await LinkPair.connect(engine: engine)
            let message = Self.pattern(size: 17 << 20, seed: 3)  // past the channel queue's 16 MB
            try await pair.offerer.send(message)
            try await pair.offerer.send([7])
            let received = try await pair.answererInbox.message(within: .seconds(60))
            #expect(received.count == message.count)
            #expect(received == message)
            #expect(try await pair.answererInbox.message() == [7])
            await pair.close()
        }

        @Test func thousandSmallMessagesArriveInOrder() async throws {
            let engine = try LinkPair.makeEngine()
            let pair = try await LinkPair.connect(engine: engine)
            for index in 0..<1_000 {
                try await pair.offerer.send([UInt8(index >> 8), UInt8(index & 0xff), 7])
            }
            for index in 0..<1_000 {
                #expect(try await pair.answererInbox.message() == [UInt8(index >> 8), UInt8(index & 0xff), 7])
            }
            await pair.close()
        }

        @Test func sendSuspendsAboveTheHighWaterMark() async throws {
            var configuration = WebRTCConfiguration.loopbackOnly
            configuration.sendHighWaterMark = 64 << 10
            configuration.sendLowWaterMark = 16 << 10
            let engine = try LinkPair.makeEngine(configuration: configuration)
            let pair = try await LinkPair.connect(engine: engine)
            let block = Self.pattern(size: 65_536, seed: 9)
            let count = 160
            let receiver = Task {
                var received = 0
                for _ in 0..<count where try await pair.answererInbox.message() == block { received += 1 }
                return received
            }
            var largest = 0
            for _ in 0..<count {
                try await pair.offerer.send(block)
                largest = max(largest, pair.offerer.bufferedAmount)
            }
            // `send` waits until the queue is at most the high-water mark, then adds one framed message.
            #expect(largest <= (64 << 10) + 65_537)
            #expect(try await receiver.value == count)
            await pair.close()
        }

        @Test func closingOneSideIsSeenByTheOther() async throws {
            let engine = try LinkPair.makeEngine()
            let pair = try await LinkPair.connect(engine: engine)
            pair.offerer.close()
            let event = try await pair.answererInbox.expect("the remote close", within: .seconds(10)) { $0 == .closed }
            #expect(event == .closed)
            _ = try await pair.offererInbox.expect("the local close") { $0 == .closed }
            await #expect(throws: WebRTCError.closed) { try await pair.answerer.send([1]) }
            await #expect(throws: WebRTCError.closed) { try await pair.offerer.send([1]) }
            await pair.close()
        }

        @Test func loopbackOnlyGathersLoopbackHostCandidates() async throws {
            let engine = try LinkPair.makeEngine()
            let pair = try await LinkPair.connect(engine: engine)
            let addresses = pair.candidates.addresses
            #expect(!addresses.isEmpty)
            #expect(addresses.allSatisfy { $0 == "127.0.0.1" || $0 == "::1" }, "\(addresses)")
            let lines = pair.candidates.lines.withLock { $0 }
            #expect(lines.allSatisfy { $0.hasPrefix("candidate:") && $0.contains(" typ host") })
            let statistics = try #require(await pair.offerer.statistics())
            #expect(statistics.localCandidateType == .host)
            #expect(statistics.remoteCandidateType == .host)
            await pair.close()
            #expect(await pair.offerer.statistics() == nil)
        }

        @Test func invalidSDPGivesTypedErrors() async throws {
            let engine = try LinkPair.makeEngine()
            let link = try engine.makeLink()
            await #expect {
                _ = try await link.accept(offer: "this is not SDP")
            } throws: { error in
                guard case .invalidSDP(let reason) = error as? WebRTCError else { return false }
                return !reason.isEmpty
            }
            await #expect {
                try await link.setAnswer("v=0\r\nnonsense")
            } throws: { error in
                if case .invalidSDP = error as? WebRTCError { true } else { false }
            }
            // A well-formed answer for a link that made no offer.
            let other = try engine.makeLink()
            let offer = try await other.makeOffer()
            await #expect {
                try await link.setAnswer(offer)
            } throws: { error in
                if case .invalidSDP = error as? WebRTCError { true } else { false }
            }
            // The link still works afterwards.
            let answer = try await link.accept(offer: offer)
            #expect(answer.hasPrefix("v=0"))
        }

        @Test func invalidCandidateGivesTypedErrors() async throws {
            let engine = try LinkPair.makeEngine()
            let pair = try await LinkPair.connect(engine: engine)
            for line in ["candidate:garbage", "candidate:1 1 udp 2122194687 127.0.0.1 notaport typ host", "hello"] {
                await #expect {
                    try await pair.offerer.add(candidate: ICECandidate(candidate: line, sdpMid: "0", sdpMLineIndex: 0))
                } throws: { error in
                    if case .invalidCandidate = error as? WebRTCError { true } else { false }
                }
            }
            // Well-formed, but for an m-line that does not exist.
            let stray = ICECandidate(
                candidate: "candidate:1 1 udp 2122194687 127.0.0.1 9 typ host", sdpMid: "7", sdpMLineIndex: 7)
            await #expect {
                try await pair.offerer.add(candidate: stray)
            } throws: { error in
                if case .invalidCandidate = error as? WebRTCError { true } else { false }
            }
            // End-of-candidates is accepted, and the link still carries messages.
            try await pair.offerer.add(candidate: ICECandidate(candidate: "", sdpMid: "0", sdpMLineIndex: 0))
            try await pair.offerer.send([42])
            #expect(try await pair.answererInbox.message() == [42])
            await pair.close()
        }

        @Test func iceServersReachTheEngine() async throws {
            var configuration = WebRTCConfiguration.loopbackOnly
            configuration.iceServers = [
                ICEServer(urls: ["stun:127.0.0.1:3478"]),
                ICEServer(
                    urls: ["turn:127.0.0.1:3478?transport=udp"], username: "1700000000:node", credential: "c2VjcmV0"),
            ]
            let link = try LinkPair.makeEngine(configuration: configuration).makeLink()
            #expect(try await link.makeOffer().hasPrefix("v=0"))
            link.close()

            configuration.iceServers = [ICEServer(urls: ["turn:127.0.0.1:3478"])]  // TURN needs credentials
            #expect {
                _ = try LinkPair.makeEngine(configuration: configuration).makeLink()
            } throws: { error in
                guard case .engineFailure(let reason) = error as? WebRTCError else { return false }
                return !reason.isEmpty
            }
            configuration.iceServers = [ICEServer(urls: ["not a url"])]
            #expect {
                _ = try LinkPair.makeEngine(configuration: configuration).makeLink()
            } throws: { error in
                if case .engineFailure = error as? WebRTCError { true } else { false }
            }
        }

        @Test func operationsOnAClosedLinkThrowClosed() async throws {
            let engine = try LinkPair.makeEngine()
            let link = try engine.makeLink()
            link.close()
            await #expect(throws: WebRTCError.closed) { _ = try await link.makeOffer() }
            await #expect(throws: WebRTCError.closed) { try await link.send([1, 2, 3]) }
        }
    }
}
