import CQLMock
import CQLProtocol
import Posix
import Proxy
import Testing
import TestSupport
import Upstream

@Suite(.serialized) struct KeyspaceAndConsistencyTests {
    static let harness = Task { () throws -> ProxyHarness in
        let h = try await ProxyHarness(nodes: 2, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), unsupportedWriteConsistencies: [.any, .one, .localOne]))
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        for ks in ["ka", "kb"] {
            _ = try client.query("CREATE KEYSPACE IF NOT EXISTS \(ks) WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
            _ = try client.query("CREATE TABLE IF NOT EXISTS \(ks).t (k int PRIMARY KEY, v text)")
            _ = try client.query("INSERT INTO \(ks).t (k, v) VALUES (1, '\(ks)')")
        }
        _ = try client.query("CREATE KEYSPACE IF NOT EXISTS \"Quoted\" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        return h
    }

    private func value(_ answer: ResponseMessage) -> CQLValue? {
        guard case .result(.rows(let rows)) = answer, let first = rows.rows.first, let columns = rows.metadata.columns else { return nil }
        return try? CQLValue.decode(first[0], as: columns[0].type)
    }

    /// Two clients in different keyspaces share the proxy's upstream connections, each seeing its own.
    @Test func clientsInDifferentKeyspacesEachSeeTheirOwn() async throws {
        let h = try await Self.harness.value
        let a = try RawCQLClient(port: h.port), b = try RawCQLClient(port: h.port)
        try a.startup(); try b.startup()
        guard case .result(.setKeyspace(let ka)) = try a.query("USE ka") else { Issue.record("USE ka"); return }
        #expect(ka == "ka")
        guard case .result(.setKeyspace("kb")) = try b.query("USE kb") else { Issue.record("USE kb"); return }
        for _ in 0..<10 {
            #expect(value(try a.query("SELECT v FROM t WHERE k = 1")) == .text("ka"))
            #expect(value(try b.query("SELECT v FROM t WHERE k = 1")) == .text("kb"))
        }
        let before = await h.upstream.connectionCounts().values.reduce(0, +)
        #expect(before == 2 * 2, "one connection per node per version, whatever the keyspaces")
    }

    @Test func quotedNamesAreNormalisedInSetKeyspace() async throws {
        let h = try await Self.harness.value
        let c = try RawCQLClient(port: h.port)
        try c.startup()
        guard case .result(.setKeyspace(let name)) = try c.query("USE \"Quoted\"") else { Issue.record("USE"); return }
        #expect(name == "Quoted")
        guard case .error(let error) = try c.query("USE nosuchkeyspace") else { Issue.record("expected error"); return }
        #expect(error.code == .invalid)
    }

    @Test func usePreparedAndExecutedSwitchesTheClient() async throws {
        let h = try await Self.harness.value
        let c = try RawCQLClient(port: h.port)
        try c.startup()
        guard case .result(.prepared(let prepared)) = try c.roundTrip(.prepare(PrepareRequest(query: "USE kb"))) else {
            Issue.record("PREPARE USE"); return
        }
        let answer = try c.roundTrip(.execute(ExecuteRequest(id: prepared.id, parameters: QueryParameters(consistency: .one))))
        guard case .result(.setKeyspace("kb")) = answer else { Issue.record("EXECUTE USE answered \(answer)"); return }
        #expect(value(try c.query("SELECT v FROM t WHERE k = 1")) == .text("kb"))
    }

    @Test func writesAtUnsupportedConsistenciesAreRewrittenReadsAreNot() async throws {
        let h = try await Self.harness.value
        let c = try RawCQLClient(port: h.port)
        try c.startup()
        func run(_ query: String, _ consistency: Consistency) throws {
            let answer = try c.roundTrip(.query(QueryRequest(query: query, parameters: QueryParameters(consistency: consistency))))
            guard case .result = answer else { Issue.record("\(query): \(answer)"); return }
        }
        try run("INSERT INTO ka.t (k, v) VALUES (7, 'w_one')", .one)
        try run("UPDATE ka.t SET v = 'w_any' WHERE k = 8", .any)
        try run("INSERT INTO ka.t (k, v) VALUES (9, 'w_quorum')", .quorum)
        try run("SELECT v AS r_one FROM ka.t WHERE k = 1", .one)
        func seen(_ needle: String) -> Consistency? {
            (0..<h.cluster.nodeCount).compactMap { h.cluster.node($0).lastConsistency(forQueryContaining: needle) }.first
        }
        #expect(seen("w_one") == .localQuorum)
        #expect(seen("w_any") == .localQuorum)
        #expect(seen("w_quorum") == .quorum)
        #expect(seen("r_one") == .one)
    }
}

@Suite struct ClientAuthenticationTests {
    @Test func rightPasswordIsAcceptedWrongOneRefused() async throws {
        let h = try await ProxyHarness(nodes: 1, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), clientCredentials: Credentials(username: "app", password: "s3cret")))
        defer { h.stop() }
        let good = try RawCQLClient(port: h.port)
        guard case .authenticate(let cls) = try good.roundTrip(.startup(["CQL_VERSION": "3.0.0"])) else { Issue.record("no AUTHENTICATE"); return }
        #expect(cls.contains("PasswordAuthenticator"))
        guard case .error(let early) = try good.query("SELECT key FROM system.local") else { Issue.record("query before login"); return }
        #expect(early.code == .protocolError)
        guard case .authSuccess = try good.roundTrip(.authResponse([0] + Array("app".utf8) + [0] + Array("s3cret".utf8))) else {
            Issue.record("right password refused"); return
        }
        guard case .result = try good.query("SELECT key FROM system.local") else { Issue.record("query after login"); return }

        let bad = try RawCQLClient(port: h.port)
        _ = try bad.roundTrip(.startup(["CQL_VERSION": "3.0.0"]))
        guard case .error(let error) = try bad.roundTrip(.authResponse([0] + Array("app".utf8) + [0] + Array("guess".utf8))) else {
            Issue.record("wrong password accepted"); return
        }
        #expect(error.code == .badCredentials)
        guard case .error = try bad.query("SELECT key FROM system.local") else { Issue.record("unauthenticated query served"); return }
    }

    @Test func thePythonDriverLogsInThroughTheProxy() async throws {
        let h = try await ProxyHarness(nodes: 1, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), clientCredentials: Credentials(username: "app", password: "s3cret")))
        defer { h.stop() }
        let ok = try await runPython(script: "Tests/e2e/connect_check.py",
                                     arguments: ["--host", "127.0.0.1", "--port", "\(h.port)", "--username", "app", "--password", "s3cret"],
                                     timeout: .seconds(60))
        #expect(ok.exitCode == 0, "\(ok.stdout)\n\(ok.stderr)")
        let refused = try await runPython(script: "Tests/e2e/connect_check.py",
                                          arguments: ["--host", "127.0.0.1", "--port", "\(h.port)", "--username", "app", "--password", "nope"],
                                          timeout: .seconds(60))
        #expect(refused.exitCode == 3, "\(refused.stdout)\n\(refused.stderr)")
    }
}
