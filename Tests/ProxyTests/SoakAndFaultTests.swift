import CQLMock
import CQLProtocol
import Foundation
import TestSupport
import Testing

/// Failures the proxy must absorb: all nodes down, one slow node, and a short soak with node kills.
@Suite(.serialized) struct SoakAndFaultTests {
    @Test(arguments: UpstreamKind.allCases)
    func allNodesDownGivesFastClearErrorsAndRecovers(kind: UpstreamKind) async throws {
        let h = try await ProxyHarness(nodes: 2, workers: 1, kind: kind)
        defer { h.stop() }
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 10)
        try client.startup()
        h.cluster.stop(node: 0)
        h.cluster.stop(node: 1)
        try await eventually("the proxy noticed", timeout: .seconds(10)) { await h.upstream.connectionCounts().values.reduce(0, +) == 0 }
        let start = ContinuousClock.now
        guard case .error(let error) = try client.query("SELECT keyspace_name FROM system_schema.keyspaces") else {
            Issue.record("expected an error with every node down"); return
        }
        #expect(ContinuousClock.now - start < .seconds(5), "not the 30 s request timeout: refused at once")
        #expect(error.code == .overloaded)
        #expect(error.message.contains("No upstream connection available"))
        // system.local still answers: the proxy itself is up.
        guard case .result = try client.query("SELECT key FROM system.local") else { Issue.record("system.local"); return }
        try h.cluster.start(node: 0)
        try h.cluster.start(node: 1)
        try await eventually("recovered", timeout: .seconds(30)) {
            if case .result(.rows)? = try? client.query("SELECT keyspace_name FROM system_schema.keyspaces") { return true }
            return false
        }
    }

    @Test func oneSlowNodeDoesNotHoldUpTheOthers() async throws {
        let h = try await ProxyHarness(nodes: 3, workers: 1)
        defer { h.stop() }
        let slow = h.cluster.faults.inject(.delay(.seconds(3)), when: .queryContains("slowpoke"), node: 0, times: .always)
        defer { h.cluster.faults.remove(slow) }
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 10)
        try client.startup()
        let start = ContinuousClock.now
        for _ in 0..<9 {
            client.send(.query(QueryRequest(query: "SELECT keyspace_name AS slowpoke FROM system_schema.keyspaces",
                                            parameters: QueryParameters(consistency: .one))))
        }
        // Round-robin over 3 nodes: 6 answers come from the healthy two long before the slow node's.
        for _ in 0..<6 {
            let frame = try #require(client.readFrame())
            guard case .result(.rows) = try frame.responseMessage() else { Issue.record("error answer"); return }
        }
        let healthyDone = ContinuousClock.now - start
        for _ in 0..<3 { _ = try #require(client.readFrame()) }
        // The slow node's three answers come 3 s apart (one connection, answered in order): the healthy
        // ones did not wait for them.
        #expect(healthyDone < ContinuousClock.now - start - .seconds(4))
    }

    @Test(arguments: UpstreamKind.allCases)
    func shortSoakWithNodeKillsLosesNothingAcknowledged(kind: UpstreamKind) async throws {
        let h = try await ProxyHarness(nodes: 3, workers: 2, kind: kind)
        defer { h.stop() }
        let duration = Int(ProcessInfo.processInfo.environment["SOAK_SECONDS"] ?? "") ?? 60
        let load = try BackgroundProcess(pythonExecutable, [packageRoot.appendingPathComponent("Tests/e2e/soak.py").path,
                                                            "--host", "127.0.0.1", "--port", "\(h.port)", "--duration", "\(duration)"],
                                         captureStandardError: true)
        try await load.waitForLine("started", timeout: .seconds(60))
        var rng = SystemRandomNumberGenerator()
        let end = ContinuousClock.now + .seconds(duration - 5)
        var kills = 0
        // One node at a time, down for a moment, while the load runs: a deliberate rhythm, not a wait for luck.
        while ContinuousClock.now < end {
            let victim = Int.random(in: 0..<3, using: &rng)
            h.cluster.stop(node: victim)
            kills += 1
            try await Task.sleep(for: .milliseconds(Int.random(in: 300...1500, using: &rng)))
            try h.cluster.start(node: victim)
            try await Task.sleep(for: .milliseconds(Int.random(in: 500...2000, using: &rng)))
        }
        let done = try await load.waitForLine(containing: "done", timeout: .seconds(240 + duration))
        print("soak \(kind), \(duration) s, \(kills) node kills: \(done)")   // the figures, for the record
        #expect(done.contains("errors=0"), "\(done)")
        #expect(done.contains("lost=0"), "\(done)")
        #expect(kills >= 1)
        _ = try await load.stop(signal: SIGTERM, timeout: .seconds(60))
    }
}
