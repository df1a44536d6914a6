import Foundation
import Testing
import TestSupport
@testable import CQLMock

/// Real clients against an in-process cluster: the DataStax Python driver 3.30.1 and cqlsh 6.2.2
/// (Tests/e2e/requirements.txt). Serialized: each spawns Python, and the machine has few cores.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct DriverE2ETests {
    static let scenario = "Tests/e2e/scenario.py"

    private func expectSuccess(_ out: ProcessOutput, _ what: String) {
        #expect(out.exitCode == 0, "\(what) exited \(out.exitCode)\n--- stdout ---\n\(out.stdout)\n--- stderr ---\n\(out.stderr)")
        #expect(out.stdout.split(separator: "\n").last == "OK", "\(what) did not print OK:\n\(out.stdout)\n\(out.stderr)")
    }

    @Test func scenarioNegotiatesDownToV4WithDefaultSettings() async throws {
        let cluster = try MockCluster(nodes: 3)
        let out = try await runPython(script: Self.scenario, arguments: [
            "--host", "127.0.0.1", "--port", String(cluster.port), "--keyspace", "e2e_v4",
        ], timeout: .seconds(25))
        expectSuccess(out, "scenario.py (v4)")
        #expect(out.stdout.contains("protocol v4"))
        // The driver found the peers through system.peers and opened pools to them.
        for i in 1..<3 { #expect(cluster.requestCount(node: i) > 0, "node \(i) served nothing") }
    }

    @Test func scenarioRunsAsV3() async throws {
        let cluster = try MockCluster(nodes: 2)
        let out = try await runPython(script: Self.scenario, arguments: [
            "--host", "127.0.0.1", "--port", String(cluster.port), "--protocol-version", "3", "--keyspace", "e2e_v3",
        ], timeout: .seconds(25))
        expectSuccess(out, "scenario.py (v3)")
        #expect(out.stdout.contains("protocol v3"))
    }

    @Test func cqlshDescribesAndSelects() async throws {
        let cluster = try MockCluster(nodes: 1)
        let port = String(cluster.port)
        let setup = try await runPython(script: Self.scenario, arguments: [
            "--host", "127.0.0.1", "--port", port, "--keyspace", "e2e_cqlsh",
        ], timeout: .seconds(25))
        expectSuccess(setup, "scenario.py")
        let checks = try await runPython(script: "Tests/e2e/cqlsh_checks.py", arguments: [
            "--host", "127.0.0.1", "--port", port, "--keyspace", "e2e_cqlsh",
        ], timeout: .seconds(40))
        expectSuccess(checks, "cqlsh_checks.py")
    }

    @Test func cqlshHelperRunsStatements() async throws {
        let cluster = try MockCluster(nodes: 1)
        let out = try await runCqlsh(host: "127.0.0.1", port: cluster.port, arguments: [
            "-e", "CREATE KEYSPACE helper_ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}; DESCRIBE KEYSPACES",
        ], timeout: .seconds(20))
        #expect(out.exitCode == 0, "cqlsh: \(out.stderr)")
        #expect(out.stdout.contains("helper_ks") && out.stdout.contains("system_schema"), "\(out.stdout)")
    }

    @Test func driverLogsInWithTheRightPasswordOnly() async throws {
        let cluster = try MockCluster(nodes: 2, credentials: (user: "cassandra", password: "opensesame"))
        let args = ["--host", "127.0.0.1", "--port", String(cluster.port), "--username", "cassandra"]
        let good = try await runPython(script: "Tests/e2e/connect_check.py", arguments: args + ["--password", "opensesame"],
                                       timeout: .seconds(20))
        #expect(good.exitCode == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.hasPrefix("CONNECTED v4"), "\(good.stdout)")
        let bad = try await runPython(script: "Tests/e2e/connect_check.py", arguments: args + ["--password", "wrong"],
                                      timeout: .seconds(20))
        #expect(bad.exitCode == 3, "\(bad.stdout)\(bad.stderr)")
        #expect(bad.stdout.contains("AUTH_FAILED") && bad.stdout.contains("incorrect"), "\(bad.stdout)")
        let cqlsh = try await runCqlsh(host: "127.0.0.1", port: cluster.port, arguments: ["-e", "DESCRIBE KEYSPACES"],
                                       timeout: .seconds(20), username: "cassandra", password: "opensesame")
        #expect(cqlsh.exitCode == 0 && cqlsh.stdout.contains("system"), "\(cqlsh.stdout)\(cqlsh.stderr)")
    }

    @Test func driverRidesThroughInjectedErrorsWithItsRetryPolicy() async throws {
        // The driver's default retry policy retries a READ_TIMEOUT with enough replies once on the same host.
        let cluster = try MockCluster(nodes: 1)
        let fault = cluster.faults.inject(.error(.readTimeout(consistency: .localOne, received: 1, blockFor: 1, dataPresent: false)),
                                          when: .queryContains("release_version FROM system.local"), times: .once)
        let out = try await runPython(script: "Tests/e2e/connect_check.py", arguments: [
            "--host", "127.0.0.1", "--port", String(cluster.port),
        ], timeout: .seconds(20))
        #expect(out.exitCode == 0, "\(out.stdout)\(out.stderr)")
        #expect(cluster.faults.fireCount(fault) == 1)
    }
}
