import ColonioWebRTC
import Testing

extension WebRTCTests {
    /// Links driven the way `ColonioNode` drives them: one engine per actor, every operation started
    /// from a `Task` in an actor-isolated method, signals passed between actors.
    @Suite
    struct ActorDrivenLinkTests {
        actor Side {
            let engine: WebRTCEngine
            var link: PeerLink?
            var peer: Side?
            var opened = false
            var waiters: [CheckedContinuation<Void, Never>] = []

            init() throws {
                engine = try LinkPair.makeEngine()
            }

            func setPeer(_ peer: Side) { self.peer = peer }

            private func makeLink() -> PeerLink {
                let link = try! engine.makeLink()
                self.link = link
                Task {
                    for await event in link.events {
                        self.handle(event)
                    }
                }
                return link
            }

            func offer() {
                let link = makeLink()
                Task {
                    do {
                        let offer = try await link.makeOffer()
                        self.offerMade(offer)
                    } catch {
                        Issue.record("offer failed: \(error)")
                    }
                }
            }

            private func offerMade(_ sdp: String) {
                let peer = peer!
                Task { await peer.receiveOffer(sdp) }
            }

            func receiveOffer(_ sdp: String) {
                let link = makeLink()
                Task {
                    do {
                        let answer = try await link.accept(offer: sdp)
                        self.answerMade(answer)
                    } catch {
                        Issue.record("accept failed: \(error)")
                    }
                }
            }

            private func answerMade(_ sdp: String) {
                let peer = peer!
                Task { await peer.receiveAnswer(sdp) }
            }

            func receiveAnswer(_ sdp: String) {
                let link = link!
                Task {
                    do {
                        try await link.setAnswer(sdp)
                    } catch {
                        Issue.record("setAnswer failed: \(error)")
                    }
                }
            }

            func receiveCandidate(_ candidate: ICECandidate) {
                guard let link else { return }
                Task {
                    do {
                        try await link.add(candidate: candidate)
                    } catch {
                        Issue.record("add(candidate:) failed: \(error)")
                    }
                }
            }

            private func handle(_ event: PeerLinkEvent) {
                switch event {
                case .localCandidate(let candidate):
                    let peer = peer!
                    Task { await peer.receiveCandidate(candidate) }
                case .opened:
                    opened = true
                    for waiter in waiters { waiter.resume() }
                    waiters = []
                default:
                    break
                }
            }

            func waitOpen() async {
                if opened { return }
                await withCheckedContinuation { waiters.append($0) }
            }

            func close() {
                link?.close()
                link = nil
                peer = nil
            }
        }

        @Test func linksBetweenTwoEnginesOpenWhenDrivenFromActors() async throws {
            for _ in 0..<3 {
                let a = try Side()
                let b = try Side()
                await a.setPeer(b)
                await b.setPeer(a)
                await a.offer()
                await a.waitOpen()
                await b.waitOpen()
                await a.close()
                await b.close()
            }
        }
    }
}
