import CQLMock
import Foundation
import Posix
import Proxy
import TestSupport
import Testing
import Transport

/// Drivers through the proxy while the cluster changes: schema events, a node going away and coming back.
@Suite(.serialized) struct TopologyTests {
    @Test(arguments: UpstreamKind.allCases)
    func schemaChangesReachAnotherDriverThroughEventsAndAgreementIsReached(kind: UpstreamKind) async throws {
        let h = try await ProxyHarness(nodes: 3, kind: kind)
        defer { h.stop() }
        let run = try await runPython(script: "Tests/e2e/schema_events.py",
                                      arguments: ["--host", "127.0.0.1", "--port", "\(h.port)"], timeout: .seconds(120))
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("OK"))
    }

    @Test(arguments: UpstreamKind.allCases)
    func aNodeStoppedDuringPreparedReadsCostsNoClientErrorAndServesAgainOnceBack(kind: UpstreamKind) async throws {
        let h = try await ProxyHarness(nodes: 3, kind: kind)
        defer { h.stop() }
        let load = try BackgroundProcess(pythonExecutable, [packageRoot.appendingPathComponent("Tests/e2e/prepared_load.py").path,
                                                            "--host", "127.0.0.1", "--port", "\(h.port)", "--duration", "8"],
                                         captureStandardError: true)
        try await load.waitForLine("started", timeout: .seconds(60))
        let victim = 1
        // Let the load reach every node first, so the stop really cuts in-flight work.
        try await eventually("node \(victim) serves the load", timeout: .seconds(10)) {
            h.cluster.requestCount(node: victim, opcode: .execute) > 20
        }
        h.cluster.stop(node: victim)
        // The outage lasts a fixed stretch of the load by design: the point is requests running during it.
        try await Task.sleep(for: .seconds(2))
        let before = h.cluster.requestCount(node: victim, opcode: .execute)
        try h.cluster.start(node: victim)
        try await eventually("node \(victim) serves again", timeout: .seconds(20)) {
            h.cluster.requestCount(node: victim, opcode: .execute) > before + 20
        }
        let done = try await load.waitForLine(containing: "done", timeout: .seconds(60))
        #expect(done.contains("errors=0"), "\(done)")
        #expect(try await load.stop(signal: SIGTERM, timeout: .seconds(10)) == 0 || done.contains("errors=0"))
    }

    @Test func peerProxiesFromConfigurationAppearInSystemPeers() async throws {
        let h = try await ProxyHarness(nodes: 1, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), rpcAddress: "10.1.0.1", dataCenter: "dc-east",
            peers: [PeerProxy(rpcAddress: "10.1.0.2"), PeerProxy(rpcAddress: "10.1.0.3", dataCenter: "dc-west", tokens: ["42"])]))
        defer { h.stop() }
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        guard case .result(.rows(let peers)) = try client.query("SELECT peer, data_center, tokens FROM system.peers") else {
            Issue.record("no rows"); return
        }
        #expect(peers.rows.count == 2)
        let decoded = try peers.rows.map { row in
            try zip(row, peers.metadata.columns!).map { try CQLValueDecoder.decode($0.0, $0.1.type) }
        }
        #expect(decoded[0][0] == .inet([10, 1, 0, 2]))
        #expect(decoded[0][1] == .text("dc-east"))
        #expect(decoded[1][1] == .text("dc-west"))
        #expect(decoded[1][2] == .list([.text("42")]))
        guard case .result(.rows(let local)) = try client.query("SELECT rpc_address, tokens FROM system.local") else {
            Issue.record("no local"); return
        }
        let tokens = try CQLValueDecoder.decode(local.rows[0][1], .set(.varchar))
        #expect(tokens == .list([.text(String(Int64.min))]))
    }
}
