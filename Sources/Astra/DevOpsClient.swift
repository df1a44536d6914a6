import Foundation
import HTTP
import Transport

/// Fetches a database's secure-connect bundle from the Astra DevOps API with a token.
/// Blocking: call off the event loops.
///
/// Choosing the datacenter. `POST .../secureBundleURL?all=true` answers one element per datacenter:
/// `{datacenterID: "<db-id>-<n>", downloadURL, ...}`. The public API description (astra-client-go's
/// openapi/astra-devops-api.yaml, `CredsURL`) has no region field there; the region of a datacenter is in
/// `GET /v2/databases/{id}/datacenters` (`[{id, region, ...}]`). So, with a wanted region: an element whose
/// `region` equals it (the field may be there, and our emulator sends it), else one whose `datacenterID`
/// equals it (the user named a datacenter), else the datacenter list maps the region to a datacenter id.
/// Without one, the first element, as the Go proxy does. Matching ignores case.
public enum DevOpsClient {
    public static let defaultAPIURL = "https://api.astra.datastax.com"

    public static func downloadBundle(apiURL: String, token: String, databaseID: String, region: String?,
                                      timeout: Duration,
                                      trust: TLSConfiguration.TrustRoots = .system) throws(AstraError) -> Data {
        let started = ContinuousClock.now
        func remaining() -> Duration { max(timeout - (ContinuousClock.now - started), .milliseconds(1)) }

        let id = databaseID.trimmingCharacters(in: .whitespaces)
        guard !id.isEmpty, id.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            // Swapped options would put the token here: never echo one.
            let looksLikeToken = databaseID.contains("AstraCS:") || (!token.isEmpty && databaseID.contains(token))
            throw .invalidDatabaseID(looksLikeToken ? "<an Astra token>" : String(databaseID.prefix(80)))
        }
        let api = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        let tls = TLSConfiguration.client(trustRoots: trust)
        let auth = HTTPHeaders([("Authorization", "Bearer \(token)"), ("Accept", "application/json")])
        let redact = { (text: String) in token.isEmpty ? text : text.replacingOccurrences(of: token, with: "<token>") }

        let links = try apiCall(HTTPClientRequest(method: "POST", url: "\(api)/v2/databases/\(id)/secureBundleURL?all=true",
                                                  headers: auth),
                                tls: tls, timeout: remaining(), databaseID: id, redact: redact)
        let link = try BundleLink.choose(from: try BundleLink.parse(links), region: region) {
            // Only asked when the bundle links carry no region: a failure here just leaves the region unknown.
            let body = try? apiCall(HTTPClientRequest(url: "\(api)/v2/databases/\(id)/datacenters", headers: auth),
                                    tls: tls, timeout: remaining(), databaseID: id, redact: redact)
            return body.flatMap { BundleLink.parseDatacenters($0) } ?? []
        }

        // A pre-signed URL: no Authorization header (it goes to a storage host, not to the API).
        let download: HTTPClientResponse
        do {
            download = try HTTPSClient.send(HTTPClientRequest(url: link.downloadURL), tls: tls, timeout: remaining(),
                                            maxBodyBytes: 16 << 20)
        } catch {
            throw .bundleDownloadFailed(redact(error.description))
        }
        guard download.status == 200 else {
            throw .bundleDownloadFailed("HTTP \(download.status) for datacenter \(link.datacenterID)")
        }
        return Data(download.body)
    }

    /// One authenticated API call; the body of a 200, else the error its status means.
    private static func apiCall(_ request: HTTPClientRequest, tls: TLSConfiguration, timeout: Duration,
                                databaseID: String, redact: (String) -> String) throws(AstraError) -> [UInt8] {
        let response: HTTPClientResponse
        do {
            response = try HTTPSClient.send(request, tls: tls, timeout: timeout, maxBodyBytes: 4 << 20)
        } catch {
            throw .devOpsUnreachable(redact(error.description))
        }
        switch response.status {
        case 200: return response.body
        case 401, 403: throw .invalidToken(status: response.status)
        case 404: throw .unknownDatabase(databaseID)
        default:
            let body = redact(String(decoding: response.body.prefix(300), as: UTF8.self).replacingNewlines())
            throw .devOpsAPI(status: response.status, body: String(body.prefix(200)))
        }
    }
}

/// One element of the secureBundleURL answer.
struct BundleLink: Equatable {
    var datacenterID: String
    var region: String?
    var downloadURL: String

    private struct Raw: Decodable {
        var datacenterID: String?
        var datcenterID: String?     // the API's misspelled twin of datacenterID
        var region: String?
        var downloadURL: String?
    }

    private struct RawDatacenter: Decodable {
        var id: String?
        var region: String?
    }

    /// The answer to `?all=true` is an array; without it, one object. Both are accepted.
    static func parse(_ body: [UInt8]) throws(AstraError) -> [BundleLink] {
        let data = Data(body)
        let raws: [Raw]
        if let list = try? JSONDecoder().decode([Raw].self, from: data) {
            raws = list
        } else if let one = try? JSONDecoder().decode(Raw.self, from: data) {
            raws = [one]
        } else {
            throw .devOpsInvalidResponse("secureBundleURL: not a JSON array of bundle links")
        }
        let links = raws.compactMap { raw -> BundleLink? in
            guard let url = raw.downloadURL, !url.isEmpty else { return nil }
            return BundleLink(datacenterID: raw.datacenterID ?? raw.datcenterID ?? "", region: raw.region, downloadURL: url)
        }
        guard !links.isEmpty else { throw .devOpsInvalidResponse("secureBundleURL: no downloadURL in the answer") }
        return links
    }

    /// `GET /v2/databases/{id}/datacenters` as (datacenter id, region) pairs; nil when unreadable.
    static func parseDatacenters(_ body: [UInt8]) -> [(id: String, region: String)]? {
        guard let list = try? JSONDecoder().decode([RawDatacenter].self, from: Data(body)) else { return nil }
        return list.compactMap { dc in dc.id.flatMap { id in dc.region.map { (id, $0) } } }
    }

    /// See `DevOpsClient` for the order of matching.
    static func choose(from links: [BundleLink], region: String?,
                       datacenters: () -> [(id: String, region: String)]) throws(AstraError) -> BundleLink {
        guard let wanted = region?.trimmingCharacters(in: .whitespaces), !wanted.isEmpty else { return links[0] }
        func same(_ a: String?, _ b: String) -> Bool { a?.caseInsensitiveCompare(b) == .orderedSame }
        if let hit = links.first(where: { same($0.region, wanted) }) { return hit }
        if let hit = links.first(where: { same($0.datacenterID, wanted) }) { return hit }
        var available = links.compactMap(\.region)
        if available.count < links.count {
            let known = datacenters()
            if let dc = known.first(where: { same($0.region, wanted) }),
               let hit = links.first(where: { same($0.datacenterID, dc.id) }) {
                return hit
            }
            available = links.map { link in
                link.region ?? known.first(where: { same($0.id, link.datacenterID) })?.region ?? link.datacenterID
            }
        }
        throw .unknownRegion(wanted: wanted, available: available)
    }
}
