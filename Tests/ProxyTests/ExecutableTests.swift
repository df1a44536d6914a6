import Foundation
import Glibc
import TestSupport
import Testing

/// The real `cql-proxy` binary: configuration errors, the demo, and a clean stop on SIGTERM/SIGINT.
@Suite struct ProxyExecutableTests {
    @Test(arguments: [SIGTERM, SIGINT])
    func demoServesAndStopsCleanlyOnSignal(signal: Int32) async throws {
        let proxy = try BackgroundProcess(builtProduct("cql-proxy"), ["demo", "--nodes", "2", "--bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0", "--workers", "1"],
                                          captureStandardError: true)
        let line = try await proxy.waitForLine(containing: "proxy listening on", timeout: .seconds(30))
        let port = try #require(ProxyProcess.port(after: "proxy listening on ", in: line))
        let check = try await runPython(script: "Tests/e2e/connect_check.py", arguments: ["--host", "127.0.0.1", "--port", "\(port)"],
                                        timeout: .seconds(60))
        #expect(check.exitCode == 0, "\(check.stdout)\n\(check.stderr)")
        let status = try await proxy.stop(signal: signal, timeout: .seconds(15))
        #expect(status == 0)
        #expect(proxy.stdout.contains("shutting down"))
    }

    @Test(arguments: [
        (["--contact-points", "127.0.0.1", "--connect-timeout", "soon"], "invalid duration for --connect-timeout"),
        (["--contact-points", "127.0.0.1", "--max-protocol-version", "7"], "unsupported value for --max-protocol-version"),
        (["--contact-points", "127.0.0.1", "--username", "u"], "--username and --password go together"),
        ([], "no upstream"),
        (["--contact-points", "127.0.0.1", "--heartbeat-interval", "2m", "--idle-timeout", "1m"], "must be longer"),
    ])
    func badOptionsGiveOneClearLineAndExitCode2(arguments: [String], message: String) async throws {
        let run = try await runProcess(builtProduct("cql-proxy"), arguments, environment: ["CONTACT_POINTS": ""], timeout: .seconds(30))
        #expect(run.exitCode == 2)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(run.stderr)")
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
    }

    /// Every option of the Go proxy, by flag, short flag and environment variable, is in --help.
    @Test func helpListsEveryGoProxyOptionWithItsEnvironmentVariable() async throws {
        let help = try await runProcess(builtProduct("cql-proxy"), ["--help"], timeout: .seconds(30))
        #expect(help.exitCode == 0)
        let text = help.stdout.replacingOccurrences(of: "\n", with: " ").split(whereSeparator: { $0 == " " }).joined(separator: " ")
        let options: [(String, String?, String?)] = [
            ("--astra-bundle", "-b", "ASTRA_BUNDLE"), ("--astra-token", "-t", "ASTRA_TOKEN"),
            ("--astra-database-id", "-i", "ASTRA_DATABASE_ID"), ("--astra-api-url", nil, "ASTRA_API_URL"),
            ("--astra-timeout", nil, "ASTRA_TIMEOUT"), ("--contact-points", "-c", "CONTACT_POINTS"),
            ("--username", "-u", "USERNAME"), ("--password", "-p", "PASSWORD"), ("--port", "-r", "PORT"),
            ("--protocol-version", "-n", "PROTOCOL_VERSION"), ("--max-protocol-version", "-m", "MAX_PROTOCOL_VERSION"),
            ("--bind", "-a", "BIND"), ("--config", "-f", "CONFIG_FILE"), ("--debug", nil, "DEBUG"),
            ("--health-check", nil, "HEALTH_CHECK"), ("--http-bind", nil, "HTTP_BIND"),
            ("--heartbeat-interval", nil, "HEARTBEAT_INTERVAL"), ("--connect-timeout", nil, "CONNECT_TIMEOUT"),
            ("--idle-timeout", nil, "IDLE_TIMEOUT"), ("--readiness-timeout", nil, "READINESS_TIMEOUT"),
            ("--idempotent-graph", nil, "IDEMPOTENT_GRAPH"), ("--num-conns", nil, "NUM_CONNS"),
            ("--proxy-cert-file", nil, "PROXY_CERT_FILE"), ("--proxy-key-file", nil, "PROXY_KEY_FILE"),
            ("--rpc-address", nil, "RPC_ADDRESS"), ("--data-center", nil, "DATA_CENTER"), ("--tokens", nil, "TOKENS"),
            ("--unsupported-write-consistencies", nil, "UNSUPPORTED_WRITE_CONSISTENCIES"),
            ("--unsupported-write-consistency-override", nil, nil),
        ]
        for (flag, short, env) in options {
            #expect(text.contains(flag), "--help lacks \(flag)")
            if let short { #expect(text.contains("\(short), \(flag)"), "--help lacks \(short) for \(flag)") }
            if let env { #expect(text.contains("env: \(env)"), "--help lacks env: \(env)") }
        }
    }

    @Test func environmentVariablesAreReadAndFlagsWin() async throws {
        let fromEnv = try await runProcess(builtProduct("cql-proxy"), [],
                                           environment: ["CONTACT_POINTS": "127.0.0.1", "NUM_CONNS": "zero"], timeout: .seconds(30))
        #expect(fromEnv.exitCode == 2)
        #expect(fromEnv.stderr.contains("NUM_CONNS"))
        let flagWins = try await runProcess(builtProduct("cql-proxy"), ["--connect-timeout", "bad"],
                                            environment: ["CONTACT_POINTS": "127.0.0.1", "CONNECT_TIMEOUT": "5s"], timeout: .seconds(30))
        #expect(flagWins.stderr.contains("--connect-timeout: bad"))
    }
}
