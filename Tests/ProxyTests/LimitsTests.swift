import CQLMock
import CQLProtocol
import Posix
import Proxy
import Testing

/// Each limit, reached: the right CQL error or a clean close, and the proxy keeps serving.
@Suite struct LimitsTests {
    @Test func clientsBeyondTheConnectionLimitAreClosed() async throws {
        let h = try await ProxyHarness(nodes: 1, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), maxClientConnections: 2))
        defer { h.stop() }
        let a = try RawCQLClient(port: h.port), b = try RawCQLClient(port: h.port)
        try a.startup(); try b.startup()
        let c = try RawCQLClient(port: h.port)
        #expect(c.isClosedByPeer())
        guard case .result = try a.query("SELECT key FROM system.local") else { Issue.record("a stopped working"); return }
    }

    @Test func aClientOverItsInFlightLimitGetsOverloaded() async throws {
        let h = try await ProxyHarness(nodes: 1, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), maxInFlightPerClient: 4))
        defer { h.stop() }
        let hold = h.cluster.faults.inject(.delay(.milliseconds(500)), when: .queryContains("held"), times: .always)
        defer { h.cluster.faults.remove(hold) }
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 10)
        try client.startup()
        for _ in 0..<6 {
            client.send(.query(QueryRequest(query: "SELECT keyspace_name AS held FROM system_schema.keyspaces",
                                            parameters: QueryParameters(consistency: .one))))
        }
        var overloaded = 0, rows = 0
        for _ in 0..<6 {
            let frame = try #require(client.readFrame())
            switch try frame.responseMessage() {
            case .error(let e) where e.code == .overloaded: overloaded += 1
            case .result(.rows): rows += 1
            case let other: Issue.record("unexpected \(other)")
            }
        }
        #expect(overloaded == 2)
        #expect(rows == 4)
    }

    @Test func anIdleClientIsClosed() async throws {
        let h = try await ProxyHarness(nodes: 1, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), clientIdleTimeout: .milliseconds(300)))
        defer { h.stop() }
        let idle = try RawCQLClient(port: h.port)
        try idle.startup()
        #expect(idle.isClosedByPeer())
    }

    @Test func aNodeThatNeverAnswersTimesRequestsOutRetryingIdempotentOnes() async throws {
        let h = try await ProxyHarness(nodes: 2, workers: 1, requestTimeout: .seconds(1))
        defer { h.stop() }
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 15)
        try client.startup()
        _ = try client.query("CREATE KEYSPACE IF NOT EXISTS lt WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        _ = try client.query("CREATE TABLE IF NOT EXISTS lt.kv (k int PRIMARY KEY, v int)")
        let silent = h.cluster.faults.inject(.noResponse, when: .queryContains("lt.kv"), node: 0, times: .always)
        defer { h.cluster.faults.remove(silent) }
        // Round-robin puts some of these on the silent node: the reads are retried on the other one.
        for _ in 0..<4 {
            guard case .result(.rows) = try client.query("SELECT v FROM lt.kv WHERE k = 1") else { Issue.record("read failed"); return }
        }
        // A lightweight transaction is not idempotent: on the silent node it fails with a clear error.
        var timedOut = 0
        for i in 0..<4 {
            let answer = try client.query("INSERT INTO lt.kv (k, v) VALUES (\(i), 1) IF NOT EXISTS")
            if case .error(let e) = answer {
                #expect(e.code == .serverError)
                #expect(e.message.contains("no answer from upstream within"))
                timedOut += 1
            }
        }
        #expect(timedOut >= 1)
    }
}
