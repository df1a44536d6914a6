import Astra
import Foundation
import Testing

@Suite("DevOpsClient")
struct DevOpsClientTests {
    static let token = "AstraCS:abcDEF123:0123456789abcdef0123456789abcdef"
    static let databaseID = "d04d1eb2-6a52-483e-ab16-faaad3d077a9"
    let pki = TestPKI.shared

    /// Bundle links as the API answers `?all=true`; `withRegion` false leaves the region out, as the
    /// public API description does.
    static func links(host: String, withRegion: Bool = true) -> String {
        let regions = ["us-east1", "eu-west-1"]
        let items = regions.enumerated().map { i, region in
            """
            {"datacenterID": "\(databaseID)-\(i + 1)", "datcenterID": "\(databaseID)-\(i + 1)",
             \(withRegion ? "\"region\": \"\(region)\"," : "")
             "downloadURL": "https://\(host)/bundles/\(region).zip?X-Amz-Signature=sig\(i)",
             "downloadURLInternal": "https://\(host)/internal", "downloadURLMigrationProxy": "https://\(host)/mp"}
            """
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    /// A fake DevOps API plus bundle storage on one HTTPS server. `override` answers the bundle-URL call
    /// instead of the default.
    private func withAPI<T>(withRegion: Bool = true, datacenters: Bool = true,
                            override: (@Sendable (SeenRequest) -> TestReply?)? = nil,
                            _ body: (String, TestHTTPSServer) async throws -> T) async throws -> T {
        let east = try makeBundleZip(config: defaultConfigJSON(host: "east.example"))
        let west = try makeBundleZip(config: defaultConfigJSON(host: "west.example"))
        let server = try TestHTTPSServer(tls: pki.serverTLS()) { request in
            let host = request.headers["host"] ?? "?"
            switch (request.method, request.path) {
            case ("POST", "/v2/databases/\(Self.databaseID)/secureBundleURL"):
                if let reply = override?(request) { return reply }
                guard request.headers["authorization"] == "Bearer \(Self.token)" else {
                    return .json(#"{"errors":[{"description":"bad token","ID":401}]}"#, status: 401)
                }
                guard request.target.hasSuffix("?all=true") else { return .json("{}", status: 400) }
                return .json(Self.links(host: host, withRegion: withRegion))
            case ("GET", "/v2/databases/\(Self.databaseID)/datacenters") where datacenters:
                guard request.headers["authorization"] == "Bearer \(Self.token)" else { return .response(status: 401) }
                return .json("""
                    [{"id": "\(Self.databaseID)-1", "region": "us-east1", "secureBundleUrl": "x"},
                     {"id": "\(Self.databaseID)-2", "region": "eu-west-1", "secureBundleUrl": "y"}]
                    """)
            case ("GET", "/bundles/us-east1.zip"):
                return .response(status: 200, headers: [("content-type", "application/zip")], body: Array(east))
            case ("GET", "/bundles/eu-west-1.zip"):
                return .response(status: 200, headers: [("content-type", "application/zip")], body: Array(west))
            case ("POST", let path) where path.hasPrefix("/v2/databases/"):
                return .json(#"{"errors":[{"description":"database not found","ID":404}]}"#, status: 404)
            default:
                return .response(status: 404)
            }
        }
        defer { server.stop() }
        return try await body("https://127.0.0.1:\(server.port)", server)
    }

    private func download(api: String, token: String = token, databaseID: String = databaseID, region: String? = nil,
                          timeout: Duration = .seconds(10)) async -> Result<Data, AstraError> {
        let trust = pki.trust
        return await offLoop { () throws(AstraError) in
            try DevOpsClient.downloadBundle(apiURL: api, token: token, databaseID: databaseID, region: region,
                                            timeout: timeout, trust: trust)
        }
    }

    private func bundleHost(_ result: Result<Data, AstraError>) throws -> String {
        try SecureConnectBundle(zipData: try result.get()).host
    }

    @Test("no region: the first datacenter's bundle (the Go proxy's choice); the download carries no token")
    func firstDatacenter() async throws {
        try await withAPI { api, server in
            let host1 = try bundleHost(await download(api: api))
            #expect(host1 == "east.example")
            let calls = server.requests
            #expect(calls.map(\.method) == ["POST", "GET"])
            #expect(calls[0].target == "/v2/databases/\(Self.databaseID)/secureBundleURL?all=true")
            #expect(calls[0].headers["authorization"] == "Bearer \(Self.token)")
            #expect(calls[1].target == "/bundles/us-east1.zip?X-Amz-Signature=sig0")
            #expect(calls[1].headers["authorization"] == nil)
        }
    }

    @Test("a region picks its datacenter (matching ignores case); a datacenter id works too")
    func regionSelection() async throws {
        try await withAPI { api, _ in
            let host2 = try bundleHost(await download(api: api, region: "eu-west-1"))
            #expect(host2 == "west.example")
            let host3 = try bundleHost(await download(api: api, region: "US-EAST1"))
            #expect(host3 == "east.example")
            let host4 = try bundleHost(await download(api: api + "/", region: "\(Self.databaseID)-2"))
            #expect(host4 == "west.example")
        }
    }

    @Test("links without a region: the datacenter list maps the region to a datacenter id")
    func regionThroughDatacenters() async throws {
        try await withAPI(withRegion: false) { api, server in
            let host5 = try bundleHost(await download(api: api, region: "eu-west-1"))
            #expect(host5 == "west.example")
            #expect(server.requests.map(\.path).contains("/v2/databases/\(Self.databaseID)/datacenters"))
        }
    }

    @Test("an unknown region names what is available")
    func unknownRegion() async throws {
        try await withAPI { api, _ in
            let error = try #require(await download(api: api, region: "ap-south-1").error)
            #expect(error == .unknownRegion(wanted: "ap-south-1", available: ["us-east1", "eu-west-1"]))
            #expect(error.description == "the database has no datacenter in region ap-south-1 (available: us-east1, eu-west-1)")
        }
        try await withAPI(withRegion: false) { api, _ in
            let error = try #require(await download(api: api, region: "ap-south-1").error)
            #expect(error == .unknownRegion(wanted: "ap-south-1", available: ["us-east1", "eu-west-1"]))
        }
        try await withAPI(withRegion: false, datacenters: false) { api, _ in
            let error = try #require(await download(api: api, region: "ap-south-1").error)
            #expect(error == .unknownRegion(wanted: "ap-south-1",
                                            available: ["\(Self.databaseID)-1", "\(Self.databaseID)-2"]))
        }
    }

    @Test("401 and 403: the token was refused, and the token is never in the error", arguments: [401, 403])
    func refusedToken(status: Int) async throws {
        try await withAPI(override: { _ in .json(#"{"errors":[{"description":"no"}]}"#, status: status) }) { api, _ in
            let error = try #require(await download(api: api).error)
            #expect(error == .invalidToken(status: status))
            #expect(error.description == "the token was refused by the Astra DevOps API (HTTP \(status))")
            #expect(!"\(error)".contains(Self.token))
        }
        try await withAPI { api, _ in
            let error = try #require(await download(api: api, token: "AstraCS:wrong").error)
            #expect(error == .invalidToken(status: 401))
            #expect(!error.description.contains("AstraCS:wrong"))
        }
    }

    @Test("404: unknown database, named")
    func unknownDatabase() async throws {
        try await withAPI { api, _ in
            let other = "11111111-2222-3333-4444-555555555555"
            let error = try #require(await download(api: api, databaseID: other).error)
            #expect(error == .unknownDatabase(other))
            #expect(error.description.contains(other))
        }
    }

    @Test("other statuses: status and a short body, scrubbed of the token")
    func otherStatus() async throws {
        let echo: @Sendable (SeenRequest) -> TestReply? = { request in
            .json("internal error for \(request.headers["authorization"] ?? "")\n" + String(repeating: "x", count: 500),
                  status: 500)
        }
        try await withAPI(override: echo) { api, _ in
            let error = try #require(await download(api: api).error)
            guard case .devOpsAPI(let status, let body) = error else { Issue.record("\(error)"); return }
            #expect(status == 500)
            #expect(body.count <= 200)
            #expect(body.hasPrefix("internal error for Bearer <token> x"))
            #expect(!error.description.contains(Self.token))
        }
    }

    @Test("answers that are not bundle links")
    func invalidAnswers() async throws {
        try await withAPI(override: { _ in .json("[]") }) { api, _ in
            let error = try #require(await download(api: api).error)
            #expect(error == .devOpsInvalidResponse("secureBundleURL: no downloadURL in the answer"))
        }
        try await withAPI(override: { _ in .json("<html/>") }) { api, _ in
            let error = try #require(await download(api: api).error)
            #expect(error == .devOpsInvalidResponse("secureBundleURL: not a JSON array of bundle links"))
        }
    }

    @Test("one object instead of an array (the answer without all=true) is accepted")
    func singleObject() async throws {
        try await withAPI(override: { request in
            .json(#"{"downloadURL": "https://\#(request.headers["host"]!)/bundles/eu-west-1.zip"}"#)
        }) { api, _ in
            let host6 = try bundleHost(await download(api: api))
            #expect(host6 == "west.example")
        }
    }

    @Test("a failed download names the datacenter, not the signed URL")
    func downloadFails() async throws {
        try await withAPI(override: { request in
            .json(#"[{"datacenterID": "dc-9", "downloadURL": "https://\#(request.headers["host"]!)/expired.zip?sig=SECRET"}]"#)
        }) { api, _ in
            let error = try #require(await download(api: api).error)
            #expect(error == .bundleDownloadFailed("HTTP 404 for datacenter dc-9"))
            #expect(!error.description.contains("SECRET"))
        }
    }

    @Test("an unreachable API or a bad database id, without the token")
    func unreachableAndBadID() async throws {
        let port = try closedPort()
        let error = try #require(await download(api: "https://127.0.0.1:\(port)").error)
        guard case .devOpsUnreachable(let why) = error else { Issue.record("\(error)"); return }
        #expect(why.contains("127.0.0.1:\(port)"))
        #expect(!error.description.contains(Self.token))

        let bad = try #require(await download(api: "https://127.0.0.1:\(port)", databaseID: "../admin?x=1").error)
        #expect(bad == .invalidDatabaseID("../admin?x=1"))
        // Token and database id swapped: the error must not print the token it was given as an id.
        let swapped = try #require(await download(api: "https://127.0.0.1:\(port)", token: Self.databaseID,
                                                   databaseID: Self.token).error)
        #expect(swapped == .invalidDatabaseID("<an Astra token>"))
        #expect(!swapped.description.contains(Self.token))
    }

    @Test("an API server certificate from another CA is refused")
    func untrustedAPI() async throws {
        try await withAPI { api, server in
            let result = await offLoop { () throws(AstraError) in
                try DevOpsClient.downloadBundle(apiURL: api, token: Self.token, databaseID: Self.databaseID, region: nil,
                                                timeout: .seconds(10),
                                                trust: .certificates(.pem(TestPKI.shared.otherCA.certificatePEM)))
            }
            let error = try #require(result.error)
            guard case .devOpsUnreachable(let why) = error else { Issue.record("\(error)"); return }
            #expect(why.contains("certificate verify failed"))
            #expect(server.requests.isEmpty)
        }
    }
}
