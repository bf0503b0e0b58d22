import ColonioCore
import ColonioWebRTC
import Foundation
import Logging

/// The node's seed connection over its lifetime: relayed signals and refusals, certificate renewal,
/// reconnecting under the same ID when the connection drops, and asking for peers when the node has
/// no link left (it would otherwise stay alone for good).
extension ColonioNode {
    /// Starts the tasks that serve the session's current seed connection.
    func startSeedTasks(_ session: NodeSession) {
        let generation = session.generation
        let (seed, logger, transport) = (session.seed, session.logger, session.transport)
        session.seedTasks = [
            Task {
                for await (from, payload) in seed.signals {
                    self.receiveSeedSignal(payload, from: from, generation: generation)
                }
                self.seedConnectionEnded(seed, generation: generation)
            },
            Task {
                for await failure in seed.failures {
                    self.seedRefused(failure, generation: generation)
                }
            },
            Task {
                await Self.keepCertificateFresh(seed: seed, transport: transport, logger: logger)
            },
        ]
    }

    /// The seed connection `seed` ended without ``disconnect()``: reconnect in the background, while
    /// signaling goes on over the overlay.
    private func seedConnectionEnded(_ seed: SeedClient, generation: UInt64) {
        guard let session = session(generation), session.seed === seed else { return }
        session.logger.notice("seed connection lost; reconnecting (signaling continues over the overlay)")
        for task in session.seedTasks { task.cancel() }
        let (url, token, keypair, logger) = (session.seedURL, session.token, session.keypair, session.logger)
        let (first, longest) = (options.retryDelay, options.maximumRetryDelay)
        session.seedTasks = [
            Task {
                var delay = first
                while !Task.isCancelled {
                    // Jittered, so that the nodes of a restarted seed do not all return at once.
                    do { try await Task.sleep(for: delay * Double.random(in: 0.5...1.5)) } catch { return }
                    do throws(SeedClientError) {
                        let client = try await SeedClient.connect(
                            url: url, network: seed.session.configuration.name, token: token, keypair: keypair,
                            resuming: seed.certificate, logger: logger)
                        self.seedReconnected(client, generation: generation)
                        return
                    } catch .rejected(let refusal) where refusal.code == .resumeRefused {
                        logger.warning(
                            "the seed cannot restore this node's ID; signing in again under a new one",
                            metadata: ["reason": "\(refusal.message)"])
                        do {
                            let client = try await SeedClient.connect(
                                url: url, network: seed.session.configuration.name, token: token, keypair: keypair,
                                logger: logger)
                            self.signedInAgain(client, generation: generation)
                            return
                        } catch {
                            logger.warning("could not sign in again", metadata: ["error": "\(error)"])
                        }
                    } catch {
                        logger.info("could not reconnect to the seed", metadata: ["error": "\(error)", "retryIn": "\(delay)"])
                    }
                    delay = min(delay * 2, longest)
                }
            }
        ]
    }

    /// The seed took the node back under its ID: serve the new connection, and rejoin through the
    /// peers it named if every link is gone too.
    private func seedReconnected(_ client: SeedClient, generation: UInt64) {
        guard let session = session(generation), client.session.nodeID == session.nodeID else {
            Task { await client.close() }
            return
        }
        session.seed = client
        session.metrics.seedReturned(resumed: true)
        session.transport.setICEServers(client.iceServers.map(ICEServer.init))
        session.seedReturnGraceUntil = session.now().adding(
            milliseconds: 2 * UInt64(options.maximumRetryDelay.milliseconds))
        startSeedTasks(session)
        session.logger.notice("seed connection restored", metadata: ["peers": "\(client.session.bootstrapPeers.count)"])
        if session.links.isEmpty { rejoin(through: client.session.bootstrapPeers, in: session) }
    }

    /// The seed signed the node in under a new ID: the old identity is gone (its links would be refused
    /// and its KVS placement is wrong), so the session starts over like a fresh ``connect(seed:network:token:)``.
    /// Waiting requests fail with ``ColonioError/networkClosed``; handlers, subscriptions and the position
    /// carry over.
    private func signedInAgain(_ client: SeedClient, generation: UInt64) {
        guard let old = session(generation) else {
            Task { await client.close() }
            return
        }
        old.metrics.seedReturned(resumed: false)
        interpret(old.machine.stop(now: old.now()), in: old)
        old.shutDown()
        session = nil
        old.logger.notice("signed in again", metadata: ["newNode": "\(client.session.nodeID)"])
        begin(client: client, seedURL: old.seedURL, token: old.token, keypair: old.keypair, transport: old.transport)
    }

    /// Called every tick: a node without a single link (not even one being opened) asks the seed for
    /// the registered nodes nearest it, as ``PeerSearchSchedule`` paces it (from
    /// ``ColonioNodeOptions/retryDelay`` to ``ColonioNodeOptions/maximumRetryDelay``).
    func searchPeersIfAlone(in session: NodeSession, now: MonotonicTime) {
        let alone = session.links.isEmpty
        // While a search is under way or the seed is away, the schedule waits rather than counting a try.
        guard !alone || (!session.findingPeers && session.seed.isConnected),
              session.peerSearch.isDue(alone: alone, now: now) else { return }
        session.findingPeers = true
        session.metrics.peerSearched()
        let (seed, generation, logger) = (session.seed, session.generation, session.logger)
        Task {
            do {
                let peers = try await seed.findPeers()
                self.peersFound(TaskCapture(peers), generation: generation)
            } catch {
                logger.info("could not ask the seed for peers", metadata: ["error": "\(error)"])
                self.peersFound(TaskCapture([]), generation: generation)
            }
        }
    }

    /// `found` comes inside a reference: see ``TaskCapture``.
    private func peersFound(_ found: TaskCapture<[NodeID]>, generation: UInt64) {
        guard let session = session(generation) else { return }
        session.findingPeers = false
        guard session.links.isEmpty, !found.value.isEmpty else { return }
        session.logger.notice("no links left; rejoining through peers the seed named", metadata: ["peers": "\(found.value.count)"])
        rejoin(through: found.value, in: session)
    }

    private func rejoin(through peers: [NodeID], in session: NodeSession) {
        let now = session.now()
        interpret(session.machine.rejoin(peers: peers, now: now), in: session)
        interpret(session.geo.discovered(peers, now: now), in: session)
    }

    private func receiveSeedSignal(_ payload: SignalPayload, from peer: NodeID, generation: UInt64) {
        guard let session = session(generation) else { return }
        receiveSignal(payload, from: peer, viaSeed: true, in: session)
    }

    private func seedRefused(_ failure: SeedErrorMessage, generation: UInt64) {
        guard let session = session(generation) else { return }
        // A signal to a node that has left is expected while the ring notices; anything else is not.
        session.logger.log(
            level: failure.code == .unknownPeer ? .debug : .warning, "seed refused a frame",
            metadata: ["code": "\(failure.code)", "message": "\(failure.message)"])
        // Soon after the seed came back, nodes are still returning to it: a peer it does not know yet is
        // not gone, and the link attempt waits for its connect timeout rather than count a failure.
        if failure.code == .unknownPeer, let until = session.seedReturnGraceUntil, session.now() < until { return }
        // The seed does not know the peer: it has left the network, so pub/sub forgets it too.
        if failure.code == .unknownPeer, let peer = failure.peer {
            interpret(session.geo.nodeLeft(peer, now: session.now()), in: session)
        }
        // A signal to a peer the seed does not know: that connection attempt cannot succeed.
        if let peer = failure.peer, let entry = session.links[peer], !entry.isAuthenticated,
           failure.sessionID == nil || failure.sessionID == entry.sessionID {
            dropLink(entry, in: session, report: true)
        }
    }

    /// Renews the node's certificate halfway through its life, so that peers keep accepting new links
    /// from it, and with it the TURN credentials of new links (time-limited ones expire too); retries
    /// every 30 s while the seed cannot renew it.
    private static func keepCertificateFresh(seed: SeedClient, transport: any LinkTransport, logger: Logger) async {
        var issued = UInt64(Date().timeIntervalSince1970)
        while !Task.isCancelled {
            let delay = CertificateRenewal.delay(expiry: seed.certificate.expiry, issued: issued,
                                                 now: UInt64(Date().timeIntervalSince1970))
            do {
                try await Task.sleep(for: .seconds(delay))
            } catch {
                return
            }
            do {
                let renewed = try await seed.renewCertificate()
                issued = UInt64(Date().timeIntervalSince1970)
                transport.setICEServers(seed.iceServers.map(ICEServer.init))
                logger.info("certificate renewed", metadata: ["expiry": "\(renewed.expiry)"])
            } catch {
                if !seed.isConnected { return }  // the reconnection renews it
                logger.warning("could not renew the certificate; retrying in 30 s", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: .seconds(30)) } catch { return }
            }
        }
    }
}
