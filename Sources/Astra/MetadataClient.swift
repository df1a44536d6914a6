import HTTP
import Posix
import Transport

/// Asks a database's metadata service where its SNI front is and which nodes it has.
/// Blocking: call off the event loops.
public enum MetadataClient {
    /// `GET https://<host>:<port>/metadata` with the bundle's client certificate, verifying the server
    /// against the bundle's CA for config.json's `host`.
    public static func fetch(bundle: SecureConnectBundle, timeout: Duration) throws(AstraError) -> AstraMetadata {
        let endpoint = HostPort(host: bundle.host, port: bundle.port).description
        let request = HTTPClientRequest(url: "https://\(endpoint)/metadata",
                                        headers: HTTPHeaders([("Accept", "application/json")]))
        let tls = bundle.tlsConfiguration(serverName: bundle.host, expectedHostName: bundle.host)
        let response: HTTPClientResponse
        do {
            response = try HTTPSClient.send(request, tls: tls, timeout: timeout, maxBodyBytes: 1 << 20)
        } catch {
            switch error {
            case .tls(_, let reason): throw .metadataTLS(reason)
            case .invalidURL(let reason): throw .bundleInvalidConfig(reason)
            case .bodyTooLarge: throw .metadataInvalid("answer larger than 1 MiB")
            default: throw .metadataUnreachable(endpoint: endpoint, reason: error.description)
            }
        }
        guard response.status == 200 else {
            // 5xx is the service being down or starting: the caller retries, as for no answer at all.
            let body = String(decoding: response.body.prefix(200), as: UTF8.self)
                .replacingNewlines()
            throw .metadataUnreachable(endpoint: endpoint, reason: "HTTP \(response.status)" + (body.isEmpty ? "" : ": \(body)"))
        }
        return try AstraMetadata(json: response.body, defaultSNIPort: bundle.config.cqlPort ?? 29042)
    }
}

extension String {
    /// One line, for error texts built from a server's body.
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
