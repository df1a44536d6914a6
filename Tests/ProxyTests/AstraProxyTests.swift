import CQLMock
import Foundation
import TestSupport
import ZIPFoundation
import Astra
import EventLoop
import Transport
import Upstream
import Testing

/// The proxy in front of the Astra emulator, through the real binary: a bundle, a token + database id,
/// and each way Astra configuration can be wrong.
@Suite(.serialized) struct AstraProxyTests {
    static func bundle(of emulator: AstraEmulator) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString).zip")
        try emulator.writeBundle(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return url
    }

    private func scenario(port: Int, keyspace: String) async throws -> ProcessOutput {
        try await runPython(script: "Tests/e2e/scenario.py",
                            arguments: ["--host", "127.0.0.1", "--port", "\(port)", "--keyspace", keyspace], timeout: .seconds(180))
    }

    @Test func throughABundleTheDriverRunsTheScenarioOnSeveralNodes() async throws {
        let emulator = try AstraEmulator(nodes: 3)
        defer { emulator.stop() }
        let bundle = try Self.bundle(of: emulator)
        defer { try? FileManager.default.removeItem(at: bundle) }
        let proxy = try await ProxyProcess(["--astra-bundle", bundle.path, "--astra-token", emulator.token], health: true)
        try await eventually("ready", timeout: .seconds(20)) { (try? proxy.get("/readiness").status) == 200 }
        let before = (0..<3).map { emulator.cluster.requestCount(node: $0) }
        let run = try await scenario(port: proxy.cqlPort, keyspace: "astra_bundle")
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        let served = (0..<3).filter { emulator.cluster.requestCount(node: $0) - before[$0] > 5 }
        #expect(served.count > 1, "requests per node: \((0..<3).map { emulator.cluster.requestCount(node: $0) - before[$0] })")
        #expect(try await proxy.stop() == 0)
        #expect(!proxy.output.contains(emulator.token), "the token leaked into the log")
    }

    @Test func withATokenAndDatabaseIdTheBundleIsDownloaded() async throws {
        let emulator = try AstraEmulator(nodes: 3)
        defer { emulator.stop() }
        let proxy = try await ProxyProcess(
            ["--astra-token", emulator.token, "--astra-database-id", emulator.databaseID.uuidString.lowercased(),
             "--astra-api-url", emulator.devOpsURL], environment: ["SSL_CERT_FILE": emulator.caFileURL.path], health: true)
        try await eventually("ready", timeout: .seconds(20)) { (try? proxy.get("/readiness").status) == 200 }
        let run = try await scenario(port: proxy.cqlPort, keyspace: "astra_token")
        #expect(run.exitCode == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(try await proxy.stop() == 0)
        #expect(!proxy.output.contains(emulator.token), "the token leaked into the log")
    }

    /// Runs the binary expecting it to refuse to start: non-zero exit, one `cql-proxy:` line naming the
    /// problem, no crash, no secret.
    private func refusal(_ arguments: [String], environment: [String: String] = [:], secret: String? = nil) async throws -> String {
        let run = try await runProcess(builtProduct("cql-proxy"), ["--bind", "127.0.0.1:0", "--astra-timeout", "3s"] + arguments,
                                       environment: environment, timeout: .seconds(60))
        #expect(run.exitCode != 0)
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("cql-proxy:") }
        #expect(errors.count == 1, "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("Backtrace") && !run.stderr.contains("Fatal error"))
        if let secret { #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret)) }
        return errors.first.map(String.init) ?? ""
    }

    @Test func eachWrongAstraSettingIsOneClearLine() async throws {
        let emulator = try AstraEmulator(nodes: 1)
        defer { emulator.stop() }
        let env = ["SSL_CERT_FILE": emulator.caFileURL.path]
        let dbid = emulator.databaseID.uuidString.lowercased()

        let wrongToken = "AstraCS:wrong:0123456789abcdef"
        let line1 = try await refusal(["--astra-token", wrongToken, "--astra-database-id", dbid, "--astra-api-url", emulator.devOpsURL],
                                      environment: env, secret: wrongToken)
        #expect(line1.contains("token"), "\(line1)")

        let line2 = try await refusal(["--astra-token", emulator.token, "--astra-database-id", UUID().uuidString.lowercased(),
                                       "--astra-api-url", emulator.devOpsURL], environment: env, secret: emulator.token)
        #expect(line2.lowercased().contains("database"), "\(line2)")

        let line3 = try await refusal(["--astra-bundle", "/nonexistent/secure-connect.zip", "--astra-token", emulator.token],
                                      secret: emulator.token)
        #expect(line3.contains("/nonexistent/secure-connect.zip"), "\(line3)")

        let notZip = FileManager.default.temporaryDirectory.appendingPathComponent("notzip-\(UUID().uuidString).zip")
        try "this is not a zip".write(to: notZip, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: notZip) }
        let line4 = try await refusal(["--astra-bundle", notZip.path, "--astra-token", emulator.token])
        #expect(line4.contains("zip"), "\(line4)")

        // A bundle whose CA is not the one that signed the servers: the metadata call cannot verify them.
        let other = try AstraEmulator(nodes: 1)
        defer { other.stop() }
        let foreign = try Self.bundle(of: other)
        defer { try? FileManager.default.removeItem(at: foreign) }
        let mixed = try Self.mixBundle(config: try Self.bundle(of: emulator), certificatesFrom: foreign)
        defer { try? FileManager.default.removeItem(at: mixed) }
        let line5 = try await refusal(["--astra-bundle", mixed.path, "--astra-token", emulator.token])
        #expect(line5.contains("certificate") || line5.contains("TLS"), "\(line5)")

        emulator.setMetadataAvailable(false)
        let bundle = try Self.bundle(of: emulator)
        defer { try? FileManager.default.removeItem(at: bundle) }
        let line6 = try await refusal(["--astra-bundle", bundle.path, "--astra-token", emulator.token])
        #expect(line6.contains("metadata"), "\(line6)")
        emulator.setMetadataAvailable(true)
    }

    /// A bundle with config.json from one emulator and ca.crt/cert/key from another.
    static func mixBundle(config: URL, certificatesFrom other: URL) throws -> URL {
        func entries(_ url: URL) throws -> [String: Data] {
            let archive = try Archive(url: url, accessMode: .read)
            var out: [String: Data] = [:]
            for entry in archive {
                var data = Data()
                _ = try archive.extract(entry) { data.append($0) }
                out[entry.path] = data
            }
            return out
        }
        var mixed = try entries(config)
        for (name, data) in try entries(other) where ["ca.crt", "cert", "key"].contains(name) { mixed[name] = data }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("mixed-\(UUID().uuidString).zip")
        let archive = try Archive(url: out, accessMode: .create)
        for (name, data) in mixed {
            try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(data.count)) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return out
    }
}

/// Astra failures while running, in-process: the metadata service going away, and a TLS front that refuses.
@Suite(.serialized) struct AstraFaultTests {
    @Test func metadataServiceDownLaterThenBackRecovers() async throws {
        let h = try await ProxyHarness(nodes: 2, workers: 1, kind: .astra)
        defer { h.stop() }
        let emulator = try #require(h.emulator)
        let client = try RawCQLClient(port: h.port, timeoutSeconds: 10)
        try client.startup()
        emulator.setMetadataAvailable(false)
        h.cluster.stop(node: 0)
        h.cluster.stop(node: 1)
        // With every node gone the proxy asks the metadata service again, which is down too.
        try await eventually("the metadata failure is reported", timeout: .seconds(30)) {
            h.upstream.lastError?.contains("metadata") == true
        }
        guard case .error(let error) = try client.query("SELECT keyspace_name FROM system_schema.keyspaces") else {
            Issue.record("expected an error while Astra is unreachable"); return
        }
        #expect(error.code == .overloaded)
        emulator.setMetadataAvailable(true)
        try h.cluster.start(node: 0)
        try h.cluster.start(node: 1)
        try await eventually("recovered", timeout: .seconds(40)) {
            if case .result(.rows)? = try? client.query("SELECT keyspace_name FROM system_schema.keyspaces") { return true }
            return false
        }
    }

    @Test func aFrontRefusingTheHandshakeIsAClearErrorNotAHang() async throws {
        let emulator = try AstraEmulator(nodes: 1)
        defer { emulator.stop() }
        let bundle = try SecureConnectBundle(zipData: emulator.bundleData())
        let metadata = try MetadataClient.fetch(bundle: bundle, timeout: .seconds(10))
        // The bundle's CA, but no client certificate: the SNI front refuses the handshake.
        var tls = bundle.tlsConfiguration(expectedHostName: bundle.host)
        tls.certificateChain = nil
        tls.privateKey = nil
        let config = UpstreamConfig(contactPoints: [], port: metadata.sniProxy.port,
                                    credentials: Credentials(username: "token", password: emulator.token),
                                    connectTimeout: .seconds(3),
                                    resolver: AstraResolver(bundle: bundle, timeout: .seconds(5), metadata: metadata),
                                    tls: UpstreamTLS(context: try TLSContext(configuration: tls), expectedHostName: bundle.host))
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let upstream = UpstreamCluster(config: config, group: group)
        upstream.start()
        defer { upstream.stop() }
        #expect(await upstream.waitUntilReady(timeout: .seconds(4)) == false)
        try await eventually("the refusal is reported", timeout: .seconds(15)) { upstream.lastError?.contains("TLS") == true }
    }
}
