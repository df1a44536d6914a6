import CQLMock
import CQLProtocol
import Testing

/// Upstream errors and failures handled per the retry policy, with the in-memory cluster's fault hooks.
@Suite(.serialized) struct FailureHandlingTests {
    static let plain = Task { try await setUp(.plain) }
    static let astra = Task { try await setUp(.astra) }

    static func harness(_ kind: UpstreamKind) async throws -> ProxyHarness {
        try await (kind == .plain ? plain : astra).value
    }

    static func setUp(_ kind: UpstreamKind) async throws -> ProxyHarness {
        let h = try await ProxyHarness(nodes: 3, workers: 1, kind: kind)
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        for statement in [
            "CREATE KEYSPACE IF NOT EXISTS ft WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
            "CREATE TABLE IF NOT EXISTS ft.kv (k int PRIMARY KEY, v text)",
            "INSERT INTO ft.kv (k, v) VALUES (1, 'one')",
        ] {
            guard case .result = try client.query(statement) else { throw CQLProtocolError.malformed(statement) }
        }
        return h
    }

    private func answer(_ query: String, client: RawCQLClient) throws -> ResponseMessage {
        try client.query(query)
    }

    @Test(arguments: UpstreamKind.allCases, [
        InjectedError.overloaded("busy"), .unavailable(consistency: .one, required: 1, alive: 0),
        .isBootstrapping("starting"), .serverError("boom"),
        .readTimeout(consistency: .one, received: 1, blockFor: 1, dataPresent: false),
    ])
    func anIdempotentReadSurvivesOneRetryableError(kind: UpstreamKind, error injected: InjectedError) async throws {
        let h = try await Self.harness(kind)
        let code = injected.code
        let marker = "retry_\(code)"
        let fault = h.cluster.faults.inject(.error(injected), when: .queryContains(marker), times: .once)
        defer { h.cluster.faults.remove(fault) }
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        let result = try client.query("SELECT v AS \(marker) FROM ft.kv WHERE k = 1")
        guard case .result(.rows(let rows)) = result else { Issue.record("code \(code): client saw \(result)"); return }
        #expect(rows.rows.count == 1)
        #expect(h.cluster.faults.fireCount(fault) == 1)
    }

    /// Not enough replicas answered: a retry would time out again, so the client is told at once.
    @Test(arguments: UpstreamKind.allCases)
    func aReadTimeoutWithoutEnoughReplicasIsNotRetried(kind: UpstreamKind) async throws {
        let h = try await Self.harness(kind)
        let fault = h.cluster.faults.inject(.error(.readTimeout(consistency: .one, received: 0, blockFor: 1, dataPresent: false)),
                                            when: .queryContains("short_read"), times: .once)
        defer { h.cluster.faults.remove(fault) }
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        guard case .error(let error) = try client.query("SELECT v AS short_read FROM ft.kv WHERE k = 1") else {
            Issue.record("expected READ_TIMEOUT"); return
        }
        #expect(error.code == .readTimeout)
    }

    @Test(arguments: UpstreamKind.allCases)
    func aNonIdempotentWriteSeesTheOverloadedError(kind: UpstreamKind) async throws {
        let h = try await Self.harness(kind)
        let fault = h.cluster.faults.inject(.error(.code(0x1001)), when: .queryContains("IF NOT EXISTS"), times: .once)
        defer { h.cluster.faults.remove(fault) }
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        guard case .error(let error) = try client.query("INSERT INTO ft.kv (k, v) VALUES (2, 'two') IF NOT EXISTS") else {
            Issue.record("expected the OVERLOADED error"); return
        }
        #expect(error.code == .overloaded)
    }

    @Test(arguments: UpstreamKind.allCases)
    func aNonIdempotentWriteOnACutConnectionGetsAClearErrorNotAHang(kind: UpstreamKind) async throws {
        let h = try await Self.harness(kind)
        let fault = h.cluster.faults.inject(.closeConnection, when: .queryContains("IF NOT EXISTS"), times: .once)
        defer { h.cluster.faults.remove(fault) }
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 10)
        try client.startup()
        guard case .error(let error) = try client.query("INSERT INTO ft.kv (k, v) VALUES (3, 'three') IF NOT EXISTS") else {
            Issue.record("expected an error"); return
        }
        #expect(error.code == .serverError)
        #expect(error.message.contains("not idempotent"))
    }

    @Test(arguments: UpstreamKind.allCases)
    func anIdempotentReadOnACutConnectionIsRetriedElsewhere(kind: UpstreamKind) async throws {
        let h = try await Self.harness(kind)
        let fault = h.cluster.faults.inject(.closeMidFrame, when: .queryContains("cut_read"), times: .once)
        defer { h.cluster.faults.remove(fault) }
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 10)
        try client.startup()
        guard case .result(.rows(let rows)) = try client.query("SELECT v AS cut_read FROM ft.kv WHERE k = 1") else {
            Issue.record("expected rows"); return
        }
        #expect(rows.rows.count == 1)
    }

    @Test(arguments: UpstreamKind.allCases)
    func preparedStatementsForgottenEverywhereAreRepreparedInvisibly(kind: UpstreamKind) async throws {
        let h = try await Self.harness(kind)
        let client = try RawCQLClient(port: h.port)
        try client.startup()
        guard case .result(.prepared(let prepared)) = try client.roundTrip(.prepare(PrepareRequest(query: "SELECT v FROM ft.kv WHERE k = ?"))) else {
            Issue.record("PREPARE failed"); return
        }
        let key = try #require(try CQLValue.int(1).encode(as: .int))
        let execute = RequestMessage.execute(ExecuteRequest(id: prepared.id, parameters: QueryParameters(consistency: .one, values: [.bytes(key)])))
        for round in 0..<3 {
            h.cluster.forgetPrepared()
            // Several executes per round, so every node (round-robin) meets the forgotten statement.
            for _ in 0..<6 {
                let answer = try client.roundTrip(execute)
                guard case .result(.rows(let rows)) = answer else { Issue.record("round \(round): \(answer)"); return }
                #expect(rows.rows.count == 1)
            }
        }
    }
}
