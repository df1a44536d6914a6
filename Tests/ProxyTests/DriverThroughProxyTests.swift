import CQLMock
import CQLProtocol
import TestSupport
import Testing

/// Real clients (the DataStax Python driver, cqlsh) through the proxy to a 3-node in-memory cluster.
@Suite(.serialized) struct DriverThroughProxyTests {
    @Test(arguments: UpstreamKind.allCases)
    func pythonDriverAtDefaultSettingsNegotiatesV4AndRunsTheScenario(kind: UpstreamKind) async throws {
        let h = try await ProxyHarness(nodes: 3, kind: kind)
        defer { h.stop() }
        let before = (0..<3).map { h.cluster.requestCount(node: $0) }
        let run = try await runPython(script: "Tests/e2e/scenario.py",
                                      arguments: ["--host", "127.0.0.1", "--port", "\(h.port)", "--keyspace", "proxy_v4_\(kind)"],
                                      timeout: .seconds(120))
        #expect(run.exitCode == 0, "scenario failed:\n\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("OK"))
        // The proxy spreads requests over the nodes: more than one node served the scenario.
        let served = (0..<3).filter { h.cluster.requestCount(node: $0) - before[$0] > 10 }
        #expect(served.count > 1, "requests per node: \((0..<3).map { h.cluster.requestCount(node: $0) - before[$0] })")

        let cqlsh = try await runPython(script: "Tests/e2e/cqlsh_checks.py",
                                        arguments: ["--host", "127.0.0.1", "--port", "\(h.port)", "--keyspace", "proxy_v4_\(kind)"],
                                        timeout: .seconds(120))
        #expect(cqlsh.exitCode == 0, "cqlsh checks failed:\n\(cqlsh.stdout)\n\(cqlsh.stderr)")
    }

    @Test func aProtocolV3ClientWorksToo() async throws {
        let h = try await ProxyHarness(nodes: 2)
        defer { h.stop() }
        let run = try await runPython(script: "Tests/e2e/scenario.py",
                                      arguments: ["--host", "127.0.0.1", "--port", "\(h.port)", "--protocol-version", "3",
                                                  "--keyspace", "proxy_v3"],
                                      timeout: .seconds(120))
        #expect(run.exitCode == 0, "v3 scenario failed:\n\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("OK"))
    }
}

/// Compression per client connection, and clients of several versions and codecs at once.
@Suite(.serialized) struct CompressionAndVersionsTests {
    @Test(arguments: UpstreamKind.allCases)
    func lz4SnappyPlainV3AndV4ClientsAtOnce(kind: UpstreamKind) async throws {
        let h = try await ProxyHarness(nodes: 2, kind: kind)
        defer { h.stop() }
        let variants: [[String]] = [
            ["--compression", "lz4", "--keyspace", "cz_lz4"],
            ["--compression", "snappy", "--keyspace", "cz_snappy"],
            ["--compression", "none", "--keyspace", "cz_none"],
            ["--protocol-version", "3", "--compression", "lz4", "--keyspace", "cz_v3"],
        ]
        try await withThrowingTaskGroup(of: (String, ProcessOutput).self) { group in
            for args in variants {
                group.addTask {
                    let run = try await runPython(script: "Tests/e2e/scenario.py",
                                                  arguments: ["--host", "127.0.0.1", "--port", "\(h.port)"] + args,
                                                  timeout: .seconds(180))
                    return (args.joined(separator: " "), run)
                }
            }
            for try await (name, run) in group {
                #expect(run.exitCode == 0, "\(name) failed:\n\(run.stdout)\n\(run.stderr)")
            }
        }
    }
}
