/// Everything the Astra client side can fail with. Each description is one line naming the problem and the
/// thing concerned (path, entry, host, database id, region). None carries a secret: tokens are never stored
/// in a case, and API bodies are shortened and scrubbed of the token before they are.
public enum AstraError: Error, Sendable, Equatable, CustomStringConvertible {
    // Secure-connect bundle
    case bundleNotFound(String)
    case bundleUnreadable(path: String, reason: String)
    case bundleNotAZip(String)
    case bundleMissingEntry(String)
    case bundleInvalidConfig(String)

    // Metadata service
    case metadataUnreachable(endpoint: String, reason: String)
    case metadataTLS(String)
    case metadataInvalid(String)

    // DevOps API
    case invalidDatabaseID(String)
    case devOpsUnreachable(String)
    case invalidToken(status: Int)
    case unknownDatabase(String)
    case devOpsAPI(status: Int, body: String)
    case devOpsInvalidResponse(String)
    case unknownRegion(wanted: String, available: [String])
    case bundleDownloadFailed(String)

    public var description: String {
        switch self {
        case .bundleNotFound(let path):
            return "secure-connect bundle not found: \(path)"
        case .bundleUnreadable(let path, let reason):
            return "cannot read the secure-connect bundle \(path): \(reason)"
        case .bundleNotAZip(let source):
            return "secure-connect bundle \(source) is not a zip file"
        case .bundleMissingEntry(let entry):
            return "secure-connect bundle has no \"\(entry)\" entry"
        case .bundleInvalidConfig(let why):
            return "secure-connect bundle has an invalid config.json: \(why)"
        case .metadataUnreachable(let endpoint, let reason):
            return "Astra metadata service \(endpoint) unreachable: \(reason)"
        case .metadataTLS(let why):
            return "Astra metadata service TLS failed (does the bundle belong to this database?): \(why)"
        case .metadataInvalid(let why):
            return "Astra metadata service answered something unusable: \(why)"
        case .invalidDatabaseID(let id):
            return "invalid Astra database id \"\(id)\": expected a UUID"
        case .devOpsUnreachable(let why):
            return "cannot reach the Astra DevOps API: \(why)"
        case .invalidToken(let status):
            return "the token was refused by the Astra DevOps API (HTTP \(status))"
        case .unknownDatabase(let id):
            return "the Astra DevOps API does not know database \(id) (HTTP 404)"
        case .devOpsAPI(let status, let body):
            return "the Astra DevOps API answered HTTP \(status)" + (body.isEmpty ? "" : ": \(body)")
        case .devOpsInvalidResponse(let why):
            return "the Astra DevOps API answered something unusable: \(why)"
        case .unknownRegion(let wanted, let available):
            let list = available.isEmpty ? "none listed" : available.joined(separator: ", ")
            return "the database has no datacenter in region \(wanted) (available: \(list))"
        case .bundleDownloadFailed(let why):
            return "downloading the secure-connect bundle failed: \(why)"
        }
    }
}
