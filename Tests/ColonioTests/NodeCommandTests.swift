import ColonioSeed
import ColonioTesting
import Foundation
import Testing

/// `colonio node` as a program: two node processes on loopback, driven through standard input with
/// `--json`, against an embedded seed in the test process.
@Suite(.serialized) struct NodeCommandTests {
    @Test func twoNodeProcessesTalkThroughTheirConsoles() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        do {
            try await Self.exercise(seed: seed)
        } catch {
            await seed.stop()
            throw error
        }
        await seed.stop()
    }

    @Test func oneShotCommandsRunInOrderAndAFailureSetsTheExitCode() async throws {
        let seed = try await EmbeddedSeed.start(
            configuration: NodeEndToEndTests.seedConfiguration(), logger: NodeEndToEndTests.logger)
        let node = try NodeProcess(
            seed: seed.url, network: "alpha", token: "alpha-token",
            arguments: ["status", "request owner:some-key echo  two  spaces ", "position 5000,1", "help"])
        do {
            try await node.waitForExit(within: .seconds(20))
        } catch {
            node.terminate()
            await seed.stop()
            throw error
        }
        await seed.stop()
        #expect(node.exitCode == 1)
        let objects = node.output.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let labels = objects.map { ($0["event"] ?? $0["response"]) as? String ?? "?" }
        // Alone on the network, the node owns every key: the request reaches its own echo handler.
        #expect(labels == ["joined", "status", "message", "request", "position", "help"])
        #expect(objects[3]["text"] as? String == "two  spaces")
        #expect(objects[4]["ok"] as? Bool == false)
        #expect((objects[5]["commands"] as? [Any])?.isEmpty == false)
    }

    private static func exercise(seed: EmbeddedSeed) async throws {
        // Released (and so killed) when this function returns, thrown error or not.
        let a = try NodeProcess(seed: seed.url, network: "alpha", token: "alpha-token", arguments: ["--position", "100,100"])
        let b = try NodeProcess(seed: seed.url, network: "alpha", token: "alpha-token", arguments: ["--position", "900,900"])
        defer {
            a.terminate()
            b.terminate()
        }
        let aID = try #require(try await a.next({ $0["event"] as? String == "joined" }, what: "joined")["nodeID"] as? String)
        let bID = try #require(try await b.next({ $0["event"] as? String == "joined" }, what: "joined")["nodeID"] as? String)
        #expect(aID.count == 32 && bID.count == 32 && aID != bID)

        #expect(try await a.command("wait 1 15")["ok"] as? Bool == true)
        #expect(try await b.command("wait 1 15")["ok"] as? Bool == true)

        let status = try await a.command("status")
        #expect(status["ok"] as? Bool == true)
        #expect(status["nodeID"] as? String == aID)
        #expect(status["network"] as? String == "alpha")
        #expect(status["connected"] as? Bool == true)
        #expect((status["links"] as? Int ?? 0) >= 1)
        #expect((status["position"] as? [String: Any])?["x"] as? Double == 100)

        // The link to b: authenticated, host candidates on both ends (loopback), a measured RTT. (Until b's
        // signaled candidate arrives, ICE may call it peer-reflexive: b's check can come first.)
        let link = try await eventuallyValue {
            let links = try #require(try await a.command("links")["links"] as? [[String: Any]])
            return links.first { $0["peer"] as? String == bID && $0["state"] as? String == "authenticated"
                && $0["rttMilliseconds"] as? Double != nil && $0["remoteCandidateType"] as? String != "prflx" }
        }
        let found = try #require(link, "no authenticated link to b with an RTT and a signaled remote candidate")
        #expect(found["localCandidateType"] as? String == "host")
        #expect(found["remoteCandidateType"] as? String == "host")
        #expect((found["rttMilliseconds"] as? Double ?? -1) >= 0)
        // How long the link took to come up, how old it is, and no STUN/TURN failure (none configured).
        #expect((found["setupMilliseconds"] as? Double ?? 0) > 0)
        #expect((found["ageMilliseconds"] as? Double ?? 0) >= (found["setupMilliseconds"] as? Double ?? .infinity))
        #expect(found["iceServerErrors"] as? [String] == [])

        // A request to b's built-in echo handler comes back; b prints it as an event.
        var reply: [String: Any] = [:]
        _ = try await eventually {
            reply = try await a.command("request \(bID) echo hello over there")
            return reply["ok"] as? Bool == true
        }
        #expect(reply["ok"] as? Bool == true, "\(reply)")
        #expect(reply["text"] as? String == "hello over there")
        let received = try await b.next({ $0["event"] as? String == "message" && $0["request"] as? Bool == true }, what: "request event")
        #expect(received["from"] as? String == aID)
        #expect(received["name"] as? String == "echo")

        // A one-way message the other way.
        #expect(try await b.command("send \(aID) echo one way")["ok"] as? Bool == true)
        let message = try await a.next({ $0["event"] as? String == "message" }, what: "one-way message")
        #expect(message["text"] as? String == "one way")
        #expect(message["request"] as? Bool == false)

        // The KVS: a write on one node is read on the other; conditions are checked.
        var put: [String: Any] = [:]
        _ = try await eventually {
            put = try await a.command("put room/7 open door")
            return put["ok"] as? Bool == true
        }
        #expect(put["version"] as? Int == 1, "\(put)")
        let got = try await b.command("get room/7")
        #expect(got["found"] as? Bool == true && got["text"] as? String == "open door" && got["version"] as? Int == 1)
        let refused = try await b.command("put --if-absent room/7 other")
        #expect(refused["ok"] as? Bool == false)
        #expect(try await b.command("delete --if-version=1 room/7")["ok"] as? Bool == true)
        #expect(try await a.command("get room/7")["found"] as? Bool == false)

        // Pub/sub: a circle around a (100,100) that leaves b (900,900) out; b publishes until a has it.
        #expect(try await a.command("subscribe map")["ok"] as? Bool == true)
        #expect(try await b.command("subscribe map")["ok"] as? Bool == true)
        var delivery: [String: Any]?
        for round in 0..<40 where delivery == nil {
            #expect(try await b.command("publish map 100,100 50 round \(round)")["ok"] as? Bool == true)
            delivery = try? await a.next({ $0["event"] as? String == "delivery" }, within: .milliseconds(250), what: "delivery")
        }
        let delivered = try #require(delivery, "a never received the publication")
        #expect(delivered["topic"] as? String == "map")
        #expect(delivered["from"] as? String == bID)
        #expect((delivered["text"] as? String)?.hasPrefix("round ") == true)
        #expect(!b.output.contains { $0.contains(#""event":"delivery""#) })

        // Bad input gets an error response and the console carries on.
        let unknown = try await a.command("frobnicate now")
        #expect(unknown["ok"] as? Bool == false)
        #expect((unknown["error"] as? String)?.contains("unknown command") == true)
        #expect(try await a.command("publish map 1,2")["ok"] as? Bool == false)

        // quit leaves the network; end of input does the same.
        #expect(try await a.command("quit")["response"] as? String == "quit")
        try await a.waitForExit()
        #expect(a.exitCode == 0)
        b.closeInput()
        try await b.waitForExit()
        #expect(b.exitCode == 0)
    }
}
