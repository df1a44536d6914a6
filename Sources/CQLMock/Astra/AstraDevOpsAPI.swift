import Foundation
import HTTP

/// One element of `POST /v2/databases/{id}/secureBundleURL?all=true`: a datacenter and where its bundle is.
struct AstraBundleLink: Codable, Equatable, Sendable {
    var datacenterID: String
    var region: String
    var downloadURL: String
    var downloadURLInternal: String
    var downloadURLMigrationProxy: String
}

/// The slice of the Astra DevOps API a proxy uses: bundle links for a token and a database id, and the
/// bundle downloads those links point to (pre-signed on Astra, so downloads carry no token here either).
enum AstraDevOpsAPI {
    struct Region: Sendable {
        var name: String
        var bundle: Data
    }

    /// `regions[0]` is the primary. `baseURL` gives "https://127.0.0.1:<port>" (known once the server is bound,
    /// which is after the router is built).
    static func router(databaseID: UUID, token: String, regions: [Region],
                       baseURL: @escaping @Sendable () -> String) -> HTTPRouter {
        let id = databaseID.uuidString.lowercased()
        var router = HTTPRouter()
        router.post("/v2/databases/\(id)/secureBundleURL") { request in
            guard isAuthorized(request, token: token) else { return unauthorized }
            let links = regions.enumerated().map { i, region in
                let url = "\(baseURL())/bundles/\(id)/\(region.name).zip"
                return AstraBundleLink(datacenterID: "\(id)-\(i + 1)", region: region.name, downloadURL: url,
                                       downloadURLInternal: url + "?variant=internal",
                                       downloadURLMigrationProxy: url + "?variant=migration-proxy")
            }
            // With all=true, one element per datacenter; without it, the primary's link alone (not an array).
            let all = queryItems(request.query).contains { $0 == ("all", "true") }
            let body = all ? try? jsonEncoder.encode(links) : try? jsonEncoder.encode(links[0])
            return HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/json")]),
                                body: Array(body ?? Data()))
        }
        for region in regions {
            router.get("/bundles/\(id)/\(region.name).zip") { _ in
                HTTPResponse(status: 200, headers: HTTPHeaders([("Content-Type", "application/zip")]),
                             body: Array(region.bundle))
            }
        }
        router.fallback { request in
            // The token is checked before the database is looked up, so a bad token never learns which ids exist.
            let isBundleURL = request.path.hasPrefix("/v2/databases/") && request.path.hasSuffix("/secureBundleURL")
            if isBundleURL && !isAuthorized(request, token: token) { return unauthorized }
            let what = isBundleURL ? "database not found" : "not found"
            return .json(#"{"errors":[{"description":"\#(what)","ID":404}]}"#, status: 404)
        }
        return router
    }

    private static let unauthorized = HTTPResponse.json(
        #"{"errors":[{"description":"The Astra token is invalid or expired","ID":401}]}"#, status: 401)

    private static func isAuthorized(_ request: HTTPRequest, token: String) -> Bool {
        guard let value = request.headers["authorization"] else { return false }
        let parts = value.split(separator: " ", maxSplits: 1)
        return parts.count == 2 && parts[0].lowercased() == "bearer" && parts[1] == token
    }

    private static func queryItems(_ query: String?) -> [(String, String)] {
        guard let query else { return [] }
        return query.split(separator: "&").map { item in
            let pair = item.split(separator: "=", maxSplits: 1)
            return (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
        }
    }
}
