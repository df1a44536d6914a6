import CQLMock
import CQLProtocol
import Foundation
import TestSupport
import Testing

/// Configuration, health, metrics, logs and drain, through the real binary.
@Suite(.serialized) struct OperationsTests {
    private func rpcAddress(port: Int) throws -> CQLValue? {
        let client = try RawCQLClient(port: port)
        try client.startup()
        guard case .result(.rows(let rows)) = try client.query("SELECT rpc_address FROM system.local"),
              let cell = rows.rows.first?.first else { return nil }
        return try CQLValue.decode(cell, as: .inet)
    }

    @Test func flagsBeatEnvironmentWhichBeatsYAML() async throws {
        let cluster = try MockCluster(nodes: 1)
        defer { cluster.shutdown() }
        let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("cql-proxy-\(UUID().uuidString).yaml")
        try """
        contact-points: [\(cluster.contactPoint.host)]
        port: \(cluster.port)
        rpc-address: 10.0.0.1
        """.write(to: yaml, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: yaml) }

        let fromYAML = try await ProxyProcess(["--config", yaml.path])
        #expect(try rpcAddress(port: fromYAML.cqlPort) == .inet([10, 0, 0, 1]))
        #expect(try await fromYAML.stop() == 0)

        let fromEnv = try await ProxyProcess([], environment: ["CONFIG_FILE": yaml.path, "RPC_ADDRESS": "10.0.0.2"])
        #expect(try rpcAddress(port: fromEnv.cqlPort) == .inet([10, 0, 0, 2]))
        #expect(try await fromEnv.stop() == 0)

        let fromFlag = try await ProxyProcess(["--config", yaml.path, "--rpc-address", "10.0.0.3"], environment: ["RPC_ADDRESS": "10.0.0.2"])
        #expect(try rpcAddress(port: fromFlag.cqlPort) == .inet([10, 0, 0, 3]))
        #expect(try await fromFlag.stop() == 0)
    }

    @Test func aBadConfigFileIsOneClearLine() async throws {
        let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).yaml")
        try "contact-points: [a\nnum-conns: {".write(to: yaml, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: yaml) }
        let run = try await runProcess(builtProduct("cql-proxy"), ["--config", yaml.path], timeout: .seconds(30))
        #expect(run.exitCode == 2)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.contains("not valid YAML"))
        let missing = try await runProcess(builtProduct("cql-proxy"), ["--config", "/nonexistent/proxy.yaml"], timeout: .seconds(30))
        #expect(missing.exitCode == 2)
        #expect(missing.stderr.contains("cannot read config file /nonexistent/proxy.yaml"))
    }

    @Test func healthPathsAndReadinessFollowTheUpstream() async throws {
        let cluster = try MockCluster(nodes: 1)
        defer { cluster.shutdown() }
        let proxy = try await ProxyProcess(["--contact-points", "\(cluster.contactPoint.host):\(cluster.port)",
                                            "--readiness-timeout", "1s", "--heartbeat-interval", "1s", "--idle-timeout", "3s"],
                                           health: true)
        #expect(try proxy.get("/liveness") == (200, "ok"))
        #expect(try proxy.get("/livez").status == 200)
        try await eventually("ready", timeout: .seconds(15)) { (try? proxy.get("/readiness").status) == 200 }
        #expect(try proxy.get("/readiness").body == "{\"OutageDuration\":\"0s\"}")
        #expect(try proxy.get("/readyz").status == 200)

        cluster.stop(node: 0)
        try await eventually("not ready after the outage passed --readiness-timeout", timeout: .seconds(20)) {
            (try? proxy.get("/readiness").status) == 503
        }
        #expect(try proxy.get("/readiness").body.hasPrefix("{\"OutageDuration\":\""))
        #expect(try proxy.get("/liveness").status == 200)
        // `cql-proxy health` follows readiness.
        let unhealthy = try await runProcess(builtProduct("cql-proxy"), ["health", "--http-bind", "127.0.0.1:\(proxy.httpPort!)"], timeout: .seconds(30))
        #expect(unhealthy.exitCode == 1)

        try cluster.start(node: 0)
        try await eventually("ready again", timeout: .seconds(30)) { (try? proxy.get("/readiness").status) == 200 }
        try await eventually("cql-proxy health reports ready", timeout: .seconds(30)) {
            let healthy = try? await runProcess(builtProduct("cql-proxy"), ["health", "--http-bind", "127.0.0.1:\(proxy.httpPort!)"],
                                                timeout: .seconds(30))
            return healthy?.exitCode == 0
        }

        // The same endpoints over HTTP/2 (h2c, prior knowledge) on the same port.
        let h2 = try await runProcess("/usr/bin/curl", ["-s", "--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version} %{http_code}",
                                                        "http://127.0.0.1:\(proxy.httpPort!)/readiness"], timeout: .seconds(30))
        #expect(h2.stdout == "2 200", "curl said: \(h2.stdout) \(h2.stderr)")
        #expect(try await proxy.stop() == 0)
    }

    @Test func notReadyBeforeTheUpstreamWasEverReached() async throws {
        // A port nobody listens on: the listeners still come up, readiness says 503.
        let proxy = try await ProxyProcess(["--contact-points", "127.0.0.1:1", "--connect-timeout", "1s"], health: true)
        #expect(try proxy.get("/liveness").status == 200)
        #expect(try proxy.get("/readiness").status == 503)
        #expect(try await proxy.stop() == 0)
    }

    @Test func metricsParseAsPrometheusTextAndMoveWithTraffic() async throws {
        let cluster = try MockCluster(nodes: 2)
        defer { cluster.shutdown() }
        let proxy = try await ProxyProcess(["--contact-points", "\(cluster.contactPoint.host):\(cluster.port)", "--port", "\(cluster.port)"], health: true)
        try await eventually("ready", timeout: .seconds(15)) { (try? proxy.get("/readiness").status) == 200 }
        func queryCount(_ text: String) -> Double {
            Self.samples(text).first { $0.name == "cql_proxy_requests_total" && $0.labels.contains("opcode=\"QUERY\"") }?.value ?? 0
        }
        let before = try proxy.get("/metrics").body
        #expect(Self.isValidExposition(before), "not Prometheus text:\n\(before)")
        let client = try RawCQLClient(port: proxy.cqlPort)
        try client.startup()
        for _ in 0..<7 { _ = try client.query("SELECT keyspace_name FROM system_schema.keyspaces") }
        _ = try client.query("SELECT * FROM no_such_keyspace.t")
        let after = try proxy.get("/metrics").body
        #expect(Self.isValidExposition(after), "not Prometheus text:\n\(after)")
        #expect(queryCount(after) - queryCount(before) >= 8)
        func answeredCount(_ text: String) -> Double {
            Self.samples(text).first { $0.name == "cql_proxy_request_duration_seconds_count" }?.value ?? 0
        }
        #expect(answeredCount(after) - answeredCount(before) >= 8, "every forwarded answer is timed")
        let names = Set(Self.samples(after).map(\.name))
        for expected in ["cql_proxy_client_connections", "cql_proxy_upstream_connections", "cql_proxy_errors_total",
                         "cql_proxy_request_duration_seconds_bucket", "cql_proxy_client_bytes_received_total",
                         "cql_proxy_client_bytes_sent_total"] {
            #expect(names.contains(expected), "missing \(expected)")
        }
        #expect(try await proxy.stop() == 0)
    }

    @Test func sigtermDrainsInFlightRequestsThenExitsZero() async throws {
        let cluster = try MockCluster(nodes: 1)
        defer { cluster.shutdown() }
        let proxy = try await ProxyProcess(["--contact-points", "\(cluster.contactPoint.host):\(cluster.port)", "--drain-timeout", "10s"],
                                           health: true)
        try await eventually("ready", timeout: .seconds(15)) { (try? proxy.get("/readiness").status) == 200 }
        let client = try RawCQLClient(port: proxy.cqlPort, timeoutSeconds: 20)
        try client.startup()
        // Each answer held back 300 ms upstream, so the requests are in flight when the signal lands.
        let slow = cluster.faults.inject(.delay(.milliseconds(300)), when: .queryContains("drain_probe"), times: .always)
        defer { cluster.faults.remove(slow) }
        let total = 20
        for _ in 0..<total {
            client.send(.query(QueryRequest(query: "SELECT keyspace_name AS drain_probe FROM system_schema.keyspaces",
                                            parameters: QueryParameters(consistency: .one))))
        }
        // Forwarded and unanswered (the node answers one every 300 ms): the proxy's own in-flight gauge says so.
        try await eventually("requests in flight upstream", timeout: .seconds(20)) {
            guard let text = try? proxy.get("/metrics").body else { return false }
            return Self.samples(text).filter { $0.name == "cql_proxy_upstream_in_flight" }.reduce(0) { $0 + $1.value } >= 1
        }
        let exit = Task { try await proxy.stop(signal: SIGTERM) }
        var succeeded = 0
        for _ in 0..<total {
            guard let frame = client.readFrame(), case .result(.rows) = try frame.responseMessage() else { break }
            succeeded += 1
        }
        #expect(succeeded == total)
        #expect(try await exit.value == 0)
        #expect(proxy.output.contains("shutting down"))
    }

    @Test func logsNeverCarrySecretsAndJSONLinesParse() async throws {
        let cluster = try MockCluster(nodes: 1, credentials: (user: "cassandra", password: "upstream-s3cret"))
        defer { cluster.shutdown() }
        let proxy = try await ProxyProcess([
            "--contact-points", "\(cluster.contactPoint.host):\(cluster.port)", "--username", "cassandra",
            "--password", "upstream-s3cret", "--client-username", "app", "--client-password", "client-s3cret",
            "--log-format", "json", "--debug",
        ], health: true)
        try await eventually("ready", timeout: .seconds(15)) { (try? proxy.get("/readiness").status) == 200 }
        let ok = try await runPython(script: "Tests/e2e/connect_check.py",
                                     arguments: ["--host", "127.0.0.1", "--port", "\(proxy.cqlPort)", "--username", "app", "--password", "client-s3cret"],
                                     timeout: .seconds(60))
        #expect(ok.exitCode == 0, "\(ok.stdout)\n\(ok.stderr)")
        _ = try await runPython(script: "Tests/e2e/connect_check.py",
                                arguments: ["--host", "127.0.0.1", "--port", "\(proxy.cqlPort)", "--username", "app", "--password", "wrong-guess"],
                                timeout: .seconds(60))
        let metrics = try proxy.get("/metrics").body
        #expect(try await proxy.stop() == 0)
        let log = proxy.output
        for secret in ["upstream-s3cret", "client-s3cret", "wrong-guess"] {
            #expect(!log.contains(secret), "log shows \(secret)")
            #expect(!metrics.contains(secret), "metrics show \(secret)")
        }
        let lines = log.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msg"] != nil, "not a JSON log line: \(line)")
        }
    }

    // MARK: Prometheus text

    struct Sample { var name: String; var labels: String; var value: Double }

    static func samples(_ text: String) -> [Sample] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " ") else { return nil }
            let series = line[..<space]
            guard let value = Double(line[line.index(after: space)...]) else { return nil }
            if let brace = series.firstIndex(of: "{") {
                return Sample(name: String(series[..<brace]), labels: String(series[brace...]), value: value)
            }
            return Sample(name: String(series), labels: "", value: value)
        }
    }

    /// Every line is a comment (# HELP / # TYPE) or `name{labels} value` with a numeric value.
    static func isValidExposition(_ text: String) -> Bool {
        let name = /[a-zA-Z_:][a-zA-Z0-9_:]*/
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") { continue }
            guard let space = line.lastIndex(of: " "), Double(line[line.index(after: space)...]) != nil ||
                  ["+Inf", "-Inf", "NaN"].contains(String(line[line.index(after: space)...])) else { return false }
            let series = line[..<space]
            let head = series.firstIndex(of: "{").map { series[..<$0] } ?? series
            guard (try? name.wholeMatch(in: String(head))) != nil else { return false }
        }
        return true
    }
}

/// The documented config.yaml is a real configuration: with its examples uncommented, every key loads.
@Suite struct ConfigFileDocumentationTests {
    @Test func everyDocumentedKeyIsAcceptedByTheBinary() async throws {
        let text = try String(contentsOf: packageRoot.appendingPathComponent("config.yaml"), encoding: .utf8)
        let keys = text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("# "), let colon = line.firstIndex(of: ":") else { return nil }
            let key = line.dropFirst(2)[..<colon].trimmingCharacters(in: .whitespaces)
            return key.allSatisfy({ $0.isLetter || $0 == "-" }) && !key.isEmpty ? key : nil
        }
        #expect(keys.count >= 40, "found only \(keys.count) keys")
        let help = try await runProcess(builtProduct("cql-proxy"), ["--help"], timeout: .seconds(30)).stdout
        for key in Set(keys) where !["peers", "rpc-address", "data-center", "tokens"].contains(key) || help.contains("--\(key)") {
            #expect(help.contains("--\(key)"), "config.yaml documents \(key), which is no option")
        }
    }
}
