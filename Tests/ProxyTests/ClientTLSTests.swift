import CQLMock
import Foundation
import Posix
import Proxy
import TestSupport
import Testing
import Transport

/// Clients of the proxy over TLS (--proxy-cert-file / --proxy-key-file).
@Suite struct ClientTLSTests {
    @Test func thePythonDriverConnectsOverTLSAndAPlainClientIsRefused() async throws {
        let ca = try CertificateAuthority(commonName: "proxy test CA")
        let server = try ca.issueServerCertificate(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let caFile = dir.appendingPathComponent("ca.pem")
        try ca.certificatePEM.write(to: caFile, atomically: true, encoding: .utf8)
        let context = try TLSContext(configuration: .server(certificateChain: .pem(server.certificatePEM),
                                                            privateKey: .pem(server.privateKeyPEM)))
        let h = try await ProxyHarness(nodes: 1, workers: 1, proxy: ProxyConfig(
            bind: HostPort(host: "127.0.0.1", port: 0), clientTLS: context, clientHandshakeTimeout: .seconds(2)))
        defer { h.stop() }
        let secure = try await runPython(script: "Tests/e2e/connect_check.py",
                                         arguments: ["--host", "127.0.0.1", "--port", "\(h.port)", "--ssl-ca", caFile.path],
                                         timeout: .seconds(60))
        #expect(secure.exitCode == 0, "\(secure.stdout)\n\(secure.stderr)")
        #expect(secure.stdout.contains("CONNECTED"))
        // A client speaking plain CQL to the TLS port gets nowhere and is disconnected.
        let plain = try RawCQLClient(port: h.port)
        plain.send(.options)
        #expect(plain.readFrame() == nil)
    }
}
