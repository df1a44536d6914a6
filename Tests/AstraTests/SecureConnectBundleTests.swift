import Astra
import Foundation
import Glibc
import Testing
import Transport

@Suite("SecureConnectBundle")
struct SecureConnectBundleTests {
    let pki = TestPKI.shared

    /// Writes `data` to a fresh file and hands its path to `body`.
    @discardableResult
    private func withFile<T>(_ data: Data, mode: mode_t = 0o600, _ body: (String) throws -> T) throws -> T {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/secure-connect-db.zip"
        try data.write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
        return try body(path)
    }

    @Test("a good bundle: config.json fields and the three PEM texts")
    func goodBundle() throws {
        let bundle = try withFile(try makeBundleZip()) { path in try SecureConnectBundle.load(path: path) }
        #expect(bundle.config == SecureConnectBundle.Config(host: "localhost", port: 29080, cqlPort: 29042,
                                                           keyspace: "ks1", localDC: "dc-east"))
        #expect(bundle.host == "localhost" && bundle.port == 29080)
        #expect(bundle.caCertificatePEM == pki.ca.certificatePEM)
        #expect(bundle.certificatePEM == pki.client.certificatePEM)
        #expect(bundle.privateKeyPEM == pki.client.privateKeyPEM)
    }

    @Test("from memory, as after a download; entries one folder down are found too")
    func fromMemory() throws {
        let bundle = try SecureConnectBundle(zipData: try makeBundleZip(prefix: "secure-connect-db/"))
        #expect(bundle.host == "localhost")
        #expect(bundle.privateKeyPEM == pki.client.privateKeyPEM)
    }

    @Test("optional config.json fields may be absent; a port may be a numeric string")
    func minimalConfig() throws {
        let zip = try makeBundleZip(config: #"{"host": "abc-us-east1.db.astra.datastax.com", "port": "29080"}"#)
        let bundle = try SecureConnectBundle(zipData: zip)
        #expect(bundle.config == SecureConnectBundle.Config(host: "abc-us-east1.db.astra.datastax.com", port: 29080))
    }

    @Test("its TLS configuration: client certificate, trust = ca.crt only, verification on, names")
    func tlsConfiguration() throws {
        let bundle = try SecureConnectBundle(zipData: try makeBundleZip())
        let hostID = "6a1c2b1e-0f00-4d3c-9c2e-1b8e0c4f5a10"
        let tls = bundle.tlsConfiguration(serverName: hostID)
        #expect(tls.role == .client)
        #expect(tls.verifyPeer)
        #expect(tls.serverName == hostID)
        #expect(tls.expectedHostName == "localhost")   // config.json's host, not the SNI
        guard case .certificates(.pem(let ca)) = tls.trustRoots else { Issue.record("trust roots"); return }
        #expect(ca == pki.ca.certificatePEM)
        guard case .pem(let cert)? = tls.certificateChain, case .pem(let key)? = tls.privateKey else {
            Issue.record("client certificate"); return
        }
        #expect(cert == pki.client.certificatePEM && key == pki.client.privateKeyPEM)
        _ = try TLSContext(configuration: tls)   // OpenSSL accepts the bundle's key pair

        let metadata = bundle.tlsConfiguration()
        #expect(metadata.serverName == "localhost" && metadata.expectedHostName == "localhost")
    }

    @Test("a path that does not exist")
    func missingPath() {
        let path = "/nonexistent/dir/secure-connect.zip"
        #expect(throws: AstraError.bundleNotFound(path)) { try SecureConnectBundle.load(path: path) }
        #expect(AstraError.bundleNotFound(path).description.contains(path))
    }

    @Test("a file that is not a zip, and a directory")
    func notAZip() throws {
        try withFile(Data("not a zip at all".utf8)) { path in
            #expect(throws: AstraError.bundleNotAZip(path)) { try SecureConnectBundle.load(path: path) }
        }
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: AstraError.bundleNotAZip(dir)) { try SecureConnectBundle.load(path: dir) }
        #expect(throws: AstraError.bundleNotAZip("(downloaded)")) { try SecureConnectBundle(zipData: Data([1, 2, 3])) }
    }

    @Test("each missing entry is named", arguments: SecureConnectBundle.requiredEntries)
    func missingEntry(entry: String) throws {
        let zip = try makeBundleZip(config: entry == "config.json" ? nil : defaultConfigJSON(),
                                    ca: entry == "ca.crt" ? nil : pki.ca.certificatePEM,
                                    cert: entry == "cert" ? nil : pki.client.certificatePEM,
                                    key: entry == "key" ? nil : pki.client.privateKeyPEM)
        try withFile(zip) { path in
            #expect(throws: AstraError.bundleMissingEntry(entry)) { try SecureConnectBundle.load(path: path) }
        }
        #expect(AstraError.bundleMissingEntry(entry).description.contains("\"\(entry)\""))
    }

    @Test("a bad config.json says what is wrong", arguments: [
        ("{not json", "not a JSON object"),
        ("[1, 2]", "not a JSON object"),
        (#"{"port": 29080}"#, "no \"host\""),
        (#"{"host": "", "port": 29080}"#, "no \"host\""),
        (#"{"host": 42, "port": 29080}"#, "\"host\" has the wrong type"),
        (#"{"host": "a b", "port": 29080}"#, "\"host\" is not a host name"),
        (#"{"host": "h"}"#, "no \"port\""),
        (#"{"host": "h", "port": 70000}"#, "\"port\" is not a port"),
        (#"{"host": "h", "port": "x"}"#, "\"port\" is not a port"),
        (#"{"host": "h", "port": 1, "cql_port": true}"#, "\"cql_port\" is not a port"),
    ])
    func badConfig(json: String, why: String) throws {
        let zip = try makeBundleZip(config: json)
        #expect(throws: AstraError.bundleInvalidConfig(why)) { try SecureConnectBundle(zipData: zip) }
    }

    @Test("group- or world-readable bundles are flagged (they hold a private key)")
    func permissions() throws {
        let zip = try makeBundleZip()
        #expect(try withFile(zip, mode: 0o600) { SecureConnectBundle.isReadableByOthers(path: $0) } == false)
        #expect(try withFile(zip, mode: 0o640) { SecureConnectBundle.isReadableByOthers(path: $0) } == true)
        #expect(try withFile(zip, mode: 0o604) { SecureConnectBundle.isReadableByOthers(path: $0) } == true)
        #expect(SecureConnectBundle.isReadableByOthers(path: "/nonexistent") == false)
    }
}
