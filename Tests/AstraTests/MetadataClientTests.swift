import Astra
import CQLMock
import Foundation
import Posix
import Testing

@Suite("MetadataClient")
struct MetadataClientTests {
    let pki = TestPKI.shared
    static let hostIDs = ["0a3f6e2c-6c58-4c8e-9d5b-2f1b7f0c9e01", "1b4e7f3d-7d69-4d9f-8e6c-3a2c8a1dab02",
                          "2c5f8a4e-8e7a-4eaf-9f7d-4b3d9b2ebc03"]
    static let goodJSON = """
        {"version": 1, "region": "us-east1",
         "contact_info": {"type": "sni_proxy", "local_dc": "us-east1",
                          "contact_points": ["\(hostIDs[0])", "\(hostIDs[1])", "\(hostIDs[2])"],
                          "sni_proxy_address": "localhost:29042"}}
        """

    /// A metadata service requiring client certificates from the test CA; the bundle points at it.
    private func withService<T>(reply: @escaping @Sendable (SeenRequest) -> TestReply,
                                ca: String? = nil, clientCertificate: IssuedCertificate? = nil,
                                _ body: (SecureConnectBundle, TestHTTPSServer) async throws -> T) async throws -> T {
        let server = try TestHTTPSServer(tls: pki.serverTLS(requireClientCertificate: true), handler: reply)
        defer { server.stop() }
        let client = clientCertificate ?? pki.client
        let bundle = try SecureConnectBundle(zipData: try makeBundleZip(
            config: defaultConfigJSON(host: "localhost", port: server.port), ca: ca ?? pki.ca.certificatePEM,
            cert: client.certificatePEM, key: client.privateKeyPEM))
        return try await body(bundle, server)
    }

    private func fetch(_ bundle: SecureConnectBundle, timeout: Duration = .seconds(10)) async -> Result<AstraMetadata, AstraError> {
        await offLoop { () throws(AstraError) in try MetadataClient.fetch(bundle: bundle, timeout: timeout) }
    }

    @Test("GET /metadata over mutual TLS, SNI = config host; the answer parsed")
    func fetches() async throws {
        try await withService(reply: { $0.path == "/metadata" ? .json(Self.goodJSON) : .response(status: 404) }) { bundle, server in
            let metadata = try await fetch(bundle).get()
            #expect(metadata.region == "us-east1")
            #expect(metadata.localDataCenter == "us-east1")
            #expect(metadata.contactPoints == Self.hostIDs.map { UUID(uuidString: $0)! })
            #expect(metadata.sniProxy == HostPort(host: "localhost", port: 29042))
            let seen = try #require(server.requests.first)
            #expect(seen.method == "GET" && seen.target == "/metadata")
            #expect(seen.hadClientCertificate)
            #expect(seen.serverName == "localhost")
        }
    }

    @Test("a bundle whose CA did not sign the server: a TLS error")
    func wrongCA() async throws {
        try await withService(reply: { _ in .json(Self.goodJSON) }, ca: pki.otherCA.certificatePEM) { bundle, server in
            let error = try #require(await fetch(bundle).error)
            guard case .metadataTLS(let why) = error else { Issue.record("\(error)"); return }
            #expect(why.contains("certificate verify failed"))
            #expect(server.requests.isEmpty)
        }
    }

    @Test("a client certificate the service does not accept: a TLS error")
    func strangerClient() async throws {
        try await withService(reply: { _ in .json(Self.goodJSON) }, clientCertificate: pki.strangerClient) { bundle, server in
            let error = try #require(await fetch(bundle).error)
            guard case .metadataTLS = error else { Issue.record("\(error)"); return }
            #expect(server.requests.isEmpty)
        }
    }

    @Test("nothing listening: unreachable, naming host:port")
    func unreachable() async throws {
        let port = try closedPort()
        let bundle = try SecureConnectBundle(zipData: try makeBundleZip(config: defaultConfigJSON(host: "127.0.0.1", port: port)))
        let error = try #require(await fetch(bundle).error)
        guard case .metadataUnreachable(let endpoint, _) = error else { Issue.record("\(error)"); return }
        #expect(endpoint == "127.0.0.1:\(port)")
        #expect(error.description.contains("127.0.0.1:\(port)"))
    }

    @Test("no answer in time: unreachable (timed out)")
    func timeout() async throws {
        try await withService(reply: { _ in .never }) { bundle, _ in
            let error = try #require(await fetch(bundle, timeout: .milliseconds(300)).error)
            guard case .metadataUnreachable(_, let why) = error else { Issue.record("\(error)"); return }
            #expect(why.contains("timed out"))
        }
    }

    @Test("a 503 from a service still starting counts as unreachable, with the status")
    func serviceUnavailable() async throws {
        try await withService(reply: { _ in .json(#"{"errors":[{"message":"starting"}]}"#, status: 503) }) { bundle, _ in
            let error = try #require(await fetch(bundle).error)
            guard case .metadataUnreachable(_, let why) = error else { Issue.record("\(error)"); return }
            #expect(why.hasPrefix("HTTP 503"))
        }
    }

    @Test("an answer that is not the expected JSON: invalid")
    func invalidJSON() async throws {
        try await withService(reply: { _ in .json("<html>oops</html>") }) { bundle, _ in
            let error = try #require(await fetch(bundle).error)
            guard case .metadataInvalid = error else { Issue.record("\(error)"); return }
        }
    }

    @Test("parsing: each required field, UUIDs, the SNI address", arguments: [
        (#"{"region": "r"}"#, "no \"contact_info\""),
        (#"{"contact_info": {"local_dc": "r", "sni_proxy_address": "h:1"}}"#, "no \"contact_points\""),
        (#"{"contact_info": {"local_dc": "r", "contact_points": ["x"], "sni_proxy_address": "h:1"}}"#,
         "contact point \"x\" is not a host id (UUID)"),
        (#"{"contact_info": {"local_dc": "r", "contact_points": [], "sni_proxy_address": "h:1"}}"#,
         "contact_info.contact_points is empty"),
        (#"{"contact_info": {"local_dc": "r", "contact_points": ["0a3f6e2c-6c58-4c8e-9d5b-2f1b7f0c9e01"], "sni_proxy_address": "h:port"}}"#,
         "sni_proxy_address \"h:port\" is not host:port"),
        (#"{"contact_info": {"type": "direct", "local_dc": "r", "contact_points": [], "sni_proxy_address": "h:1"}}"#,
         "unsupported contact_info.type \"direct\""),
        (#"{"contact_info": {"contact_points": ["0a3f6e2c-6c58-4c8e-9d5b-2f1b7f0c9e01"], "sni_proxy_address": "h:1"}}"#,
         "neither region nor contact_info.local_dc is given"),
    ])
    func parsing(json: String, why: String) {
        #expect(throws: AstraError.metadataInvalid(why)) { try AstraMetadata(json: Array(json.utf8)) }
    }

    @Test("parsing: an SNI address without a port takes the default; region falls back to local_dc")
    func parsingDefaults() throws {
        let json = #"{"contact_info": {"local_dc": "eu-west-1", "contact_points": ["0A3F6E2C-6C58-4C8E-9D5B-2F1B7F0C9E01"], "sni_proxy_address": "sni.example"}}"#
        let metadata = try AstraMetadata(json: Array(json.utf8), defaultSNIPort: 29042)
        #expect(metadata.sniProxy == HostPort(host: "sni.example", port: 29042))
        #expect(metadata.region == "eu-west-1" && metadata.localDataCenter == "eu-west-1")
        #expect(metadata.contactPoints.first?.uuidString.lowercased() == "0a3f6e2c-6c58-4c8e-9d5b-2f1b7f0c9e01")
    }
}
