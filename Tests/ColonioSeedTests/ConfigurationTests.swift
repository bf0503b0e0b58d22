import ColonioCore
import ColonioSeed
import Foundation
import Testing

@Suite struct ConfigurationTests {
    @Test func exampleConfigurationLoads() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/seed.example.json").path
        let configuration = try SeedConfiguration.load(path: path)
        #expect(configuration.networks.map(\.name) == ["demo", "world"])
        // The example spells out the defaults of the limits against unsigned clients.
        #expect(configuration.limits == SeedLimitsConfiguration())
        let world = try #require(configuration.network(named: "world"))
        #expect(world.space == .sphere(radius: 6_371_000))
        #expect(world.iceServers.last?.turnSecret == "change-me-turn-secret")
    }

    @Test func defaultsAndOverridesApply() throws {
        let json = #"""
        {"listen": {"port": 9000},
         "limits": {"maxFrameBytes": 8192, "keepaliveTimeoutMilliseconds": 90000},
         "networks": [{"name": "n1", "tokens": ["t"], "maxNodes": 5,
                       "space": {"kind": "plane", "width": 10, "height": 20},
                       "routing": {"maximumLinks": 10}, "kvs": {"replicationFactor": 5},
                       "spread": {"inlinePayloadBytes": 64},
                       "iceServers": [{"urls": ["turn:127.0.0.1"], "turnSecret": "s", "credentialTTLSeconds": 120}]}]}
        """#
        let configuration = try SeedConfiguration.decode(json: Data(json.utf8))
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 9000))
        #expect(configuration.keyFile == "")
        #expect(configuration.limits.maximumFrameBytes == 8192)
        #expect(configuration.limits.keepaliveTimeoutMilliseconds == 90000)
        #expect(configuration.limits.framesPerSecond == 100)
        #expect(configuration.limits.signInTimeoutMilliseconds == 10_000)
        #expect(configuration.limits.maximumConnectionsPerAddress == 256)
        let limits = try SeedConfiguration.decode(json: Data(#"""
            {"limits": {"signInTimeoutMilliseconds": 5000, "requestTimeoutMilliseconds": 6000, "maxConnections": 70,
                        "maxConnectionsPerAddress": 7, "failedSignInsPerMinutePerAddress": 8,
                        "refusalLogLinesPerSecond": 9},
             "networks": [{"name": "n1", "tokens": ["t"]}]}
            """#.utf8)).limits
        #expect(limits.signInTimeoutMilliseconds == 5000)
        #expect(limits.requestTimeoutMilliseconds == 6000)
        #expect(limits.maximumConnections == 70)
        #expect(limits.maximumConnectionsPerAddress == 7)
        #expect(limits.failedSignInsPerMinutePerAddress == 8)
        #expect(limits.refusalLogLinesPerSecond == 9)
        let network = try #require(configuration.network(named: "n1"))
        #expect(network.maximumNodes == 5)
        #expect(network.space == .plane(width: 10, height: 20))
        #expect(network.routing.maximumLinks == 10)
        #expect(network.routing.successorCount == 2)
        #expect(network.kvs.replicationFactor == 5)
        #expect(network.spread.inlinePayloadBytes == 64)
        #expect(network.iceServers == [ICEServerDefinition(urls: ["turn:127.0.0.1"], turnSecret: "s", credentialLifetimeSeconds: 120)])
    }

    @Test(arguments: [
        #"{"networks": []}"#,
        #"{"networks": [{"name": "a", "tokens": []}]}"#,
        #"{"networks": [{"name": "a b", "tokens": ["t"]}]}"#,
        #"{"networks": [{"name": "a", "tokens": ["t"]}, {"name": "a", "tokens": ["u"]}]}"#,
        #"{"networks": [{"name": "a", "tokens": ["t"], "kvs": {"replicationFactor": 0}}]}"#,
        #"{"networks": [{"name": "a", "tokens": ["t"], "space": {"kind": "cube"}}]}"#,
        #"{"networks": [{"name": "a", "tokens": ["t"], "space": {"kind": "plane", "width": -1, "height": 1}}]}"#,
        #"{"networks": [{"name": "a", "tokens": ["t"], "iceServers": [{"urls": ["turn:x"], "turnSecret": "s", "username": "u"}]}]}"#,
        #"{"limits": {"keepaliveIntervalMilliseconds": 5000, "keepaliveTimeoutMilliseconds": 5000}, "networks": [{"name": "a", "tokens": ["t"]}]}"#,
        #"{"networks": "#,
        #"{"limits": {"signInTimeoutMilliseconds": 0}, "networks": [{"name": "a", "tokens": ["t"]}]}"#,
        #"{"limits": {"maxConnectionsPerAddress": 0}, "networks": [{"name": "a", "tokens": ["t"]}]}"#,
    ])
    func invalidConfigurationsAreRefused(_ json: String) {
        #expect(throws: SeedConfigurationError.self) { try SeedConfiguration.decode(json: Data(json.utf8)) }
    }

    @Test func aLinkTimeoutBelowTwoKeepalivesIsRefusedWithTheRule() throws {
        let json = #"{"networks": [{"name": "a", "tokens": ["t"], "routing": {"keepaliveIntervalMilliseconds": 5000}}]}"#
        do {
            _ = try SeedConfiguration.decode(json: Data(json.utf8))
            Issue.record("a 2 s link timeout with 5 s keepalives was accepted")
        } catch {
            #expect("\(error)".contains("linkTimeoutMilliseconds (2000) must be at least twice keepaliveIntervalMilliseconds (5000)"))
        }
        let fixed = #"{"networks": [{"name": "a", "tokens": ["t"], "routing": {"keepaliveIntervalMilliseconds": 5000, "linkTimeoutMilliseconds": 30000, "vouchedLinkTimeoutMilliseconds": 60000}}]}"#
        let routing = try SeedConfiguration.decode(json: Data(fixed.utf8)).networks[0].routing
        #expect(routing.linkTimeoutMilliseconds == 30_000 && routing.vouchedLinkTimeoutMilliseconds == 60_000)
    }

    @Test func keyFileIsCreatedPrivatelyAndReloaded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("colonio-seed-\(UUID()).key").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let created = try SeedSigningKey.loadOrCreate(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect((attributes[.size] as? NSNumber)?.intValue == 32)
        let loaded = try SeedSigningKey.loadOrCreate(path: path)
        #expect(loaded.publicKeyBytes == created.publicKeyBytes)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: SeedConfigurationError.self) { try SeedSigningKey.loadOrCreate(path: path) }
    }
}
