import ColonioCore
import ColonioWebRTC
import Foundation
import Logging

/// The node's seed connection over its lifetime: frames from the seed go to the controller, the
/// controller's seed frames go out here, and a lost connection is reopened when the controller asks
/// (it paces the attempts and decides what a return or a refusal means).
extension ColonioNode {
    /// Starts the tasks that serve the session's current seed connection.
    func startSeedTasks(_ session: NodeSession) {
        let generation = session.generation
        let seed = session.seed
        session.seedTasks = [
            Task {
                for await (from, payload) in seed.signals {
                    self.seedSent(.relayedSignal(from: from, payload: payload), generation: generation)
                }
                self.seedConnectionEnded(seed, generation: generation)
            },
            Task {
                for await failure in seed.failures {
                    self.seedSent(.error(failure), generation: generation)
                }
            },
        ]
    }

    private func seedSent(_ frame: SeedFrame, generation: UInt64) {
        guard let session = session(generation) else { return }
        perform(controller.seedFrame(frame, now: now(), unixSeconds: unixSeconds()), in: session)
    }

    /// Sends a frame the controller has for the seed. Requests with an answer (peers, a renewed
    /// certificate) run in a task and feed the answer back as the seed's frame.
    func sendToSeed(_ frame: SeedFrame, in session: NodeSession) {
        let (seed, generation, logger) = (session.seed, session.generation, session.logger)
        switch frame {
        case .signal(let peer, let payload):
            do {
                try seed.send(signal: payload, to: peer)
            } catch {
                logger.info("cannot signal through the seed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            }
        case .findPeers:
            session.metrics.peerSearched()
            Task {
                do {
                    let peers = try await seed.findPeers()
                    self.seedAnswered(TaskCapture(.peersFound(peers)), generation: generation)
                } catch {
                    logger.info("could not ask the seed for peers", metadata: ["error": "\(error)"])
                    self.seedAnswered(TaskCapture(.peersFound([])), generation: generation)
                }
            }
        case .renewCertificate:
            Task {
                do {
                    let renewed = try await seed.renewCertificate()
                    self.seedAnswered(TaskCapture(.certificateRenewed(renewed, iceServers: seed.iceServers)), generation: generation)
                } catch {
                    // The controller asks again later; a reconnection renews it too.
                    logger.warning("could not renew the certificate", metadata: ["error": "\(error)"])
                }
            }
        case .keepalive:
            try? seed.sendKeepalive()
        case .signIn:
            // After `resumeRefused`: the next `connectToSeed` signs in afresh through the seed client.
            break
        case .challenge, .signedIn, .certificateRenewed, .relayedSignal, .error, .keepaliveAck, .peersFound:
            break
        }
    }

    /// `answer` comes inside a reference: see ``TaskCapture``.
    private func seedAnswered(_ answer: TaskCapture<SeedFrame>, generation: UInt64) {
        seedSent(answer.value, generation: generation)
    }

    /// The seed connection `seed` ended without ``disconnect()``: the controller asks for a new one
    /// (``NodeAction/connectToSeed``) when it is due; signaling goes on over the overlay meanwhile.
    private func seedConnectionEnded(_ seed: SeedClient, generation: UInt64) {
        guard let session = session(generation), session.seed === seed else { return }
        for task in session.seedTasks { task.cancel() }
        session.seedTasks = []
        // The seed may be gone for good: with several seeds, the next attempt goes to another one.
        session.nextSeed()
        perform(controller.seedClosed(now: now()), in: session)
    }

    /// One attempt to reopen the seed connection: a resume claim while the node has its ID, a sign-in
    /// afresh once the controller gave it up. A failed attempt goes back to the controller, which paces
    /// the next one.
    func connectToSeed(in session: NodeSession) {
        let (url, token, keypair, logger, network) = (session.seedURL, session.token, session.keypair, session.logger, session.network)
        let (generation, clientOptions) = (session.generation, options.seedClientOptions)
        let resuming = certificateToResume(generation)
        session.seedTasks.append(Task {
            do throws(SeedClientError) {
                let client = try await SeedClient.connect(
                    url: url, network: network, token: token, keypair: keypair, resuming: resuming?.value,
                    options: clientOptions, logger: logger)
                self.seedReturned(client, resumed: resuming != nil, generation: generation)
            } catch .rejected(let refusal) where refusal.code == .resumeRefused {
                logger.warning(
                    "the seed cannot restore this node's ID; signing in again under a new one",
                    metadata: ["reason": "\(refusal.message)"])
                self.resumeRefused(TaskCapture(refusal), generation: generation)
            } catch {
                logger.info("could not reconnect to the seed", metadata: ["error": "\(error)"])
                self.seedAttemptFailed(generation: generation)
            }
        })
    }

    private func seedAttemptFailed(generation: UInt64) {
        guard let session = session(generation) else { return }
        session.nextSeed()
        perform(controller.seedClosed(now: now()), in: session)
    }

    /// The certificate to claim the node's ID with, `nil` once the controller gave the ID up.
    private func certificateToResume(_ generation: UInt64) -> TaskCapture<NodeCertificate>? {
        guard session(generation) != nil, let certificate = controller.session?.certificate else { return nil }
        return TaskCapture(certificate)
    }

    /// The seed client signs resume claims itself: the controller only learns that one is under way.
    private func resumeStarted(in session: NodeSession) {
        _ = controller.seedReopened(token: session.token, publicKey: session.publicKey, unixSeconds: unixSeconds())
    }

    /// The seed client signed in by itself: the controller learns of the sign-in, and its own sign-in
    /// frame is not sent.
    func seedClientSignedIn(_ session: NodeSession) {
        _ = try? controller.signIn(network: session.network, token: session.token, publicKey: session.publicKey)
    }

    /// The seed cannot give the node its ID back: the controller gives it up (requests fail as
    /// `networkClosed`), and the next ``NodeAction/connectToSeed`` signs in afresh.
    private func resumeRefused(_ refusal: TaskCapture<SeedErrorMessage>, generation: UInt64) {
        guard let session = session(generation) else { return }
        resumeStarted(in: session)
        perform(controller.seedFrame(.error(refusal.value), now: now(), unixSeconds: unixSeconds()), in: session)
        perform(controller.seedClosed(now: now()), in: session)
        session.failPendingKVS()
    }

    /// The seed took the node back (`resumed`: under its ID; else under a new one, after the controller
    /// gave the old one up): serve the new connection and hand the controller the sign-in.
    private func seedReturned(_ client: SeedClient, resumed: Bool, generation: UInt64) {
        guard let session = session(generation) else {
            Task { await client.close() }
            return
        }
        session.seed = client
        if resumed {
            resumeStarted(in: session)
            session.logger.notice("seed connection restored", metadata: ["peers": "\(client.session.bootstrapPeers.count)"])
        } else {
            session.metrics.seedReturned(resumed: false)
            seedClientSignedIn(session)
            session.logger.notice("signed in again", metadata: ["newNode": "\(client.session.nodeID)"])
        }
        startSeedTasks(session)
        perform(controller.seedFrame(.signedIn(SignInResponse(client.session)), now: now(), unixSeconds: unixSeconds()), in: session)
    }
}
