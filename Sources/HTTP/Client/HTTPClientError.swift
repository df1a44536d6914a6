/// Why `HTTPSClient.send` got no response. The text names the endpoint as `host:port` only: never the
/// path's query (pre-signed URLs carry signatures there) and never a request header (Authorization).
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidURL(String)
    /// getaddrinfo failed or found nothing.
    case resolveFailed(endpoint: String, reason: String)
    /// TCP connect failed on every address (refused, unreachable).
    case connectFailed(endpoint: String, reason: String)
    /// TCP connect did not complete in time.
    case connectTimeout(endpoint: String)
    /// TLS failed: configuration, handshake (verification, a refused client certificate), or a TLS alert
    /// after it (TLS 1.3 servers reject a missing client certificate only after the client's Finished).
    case tls(endpoint: String, reason: String)
    /// Connected, but the exchange (TLS handshake, request, response) did not finish in time.
    case timeout(endpoint: String, phase: String)
    /// The server broke HTTP framing, reset the stream, or closed before the response was complete.
    case protocolError(endpoint: String, reason: String)
    case bodyTooLarge(endpoint: String, limit: Int)

    /// True when the server could not be reached at all (as opposed to answering badly or failing TLS).
    public var isUnreachable: Bool {
        switch self {
        case .resolveFailed, .connectFailed, .connectTimeout: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .invalidURL(let reason): return "invalid URL: \(reason)"
        case .resolveFailed(let endpoint, let reason): return "cannot resolve \(endpoint): \(reason)"
        case .connectFailed(let endpoint, let reason): return "connect to \(endpoint) failed: \(reason)"
        case .connectTimeout(let endpoint): return "connect to \(endpoint) timed out"
        case .tls(let endpoint, let reason): return "TLS with \(endpoint): \(reason)"
        case .timeout(let endpoint, let phase): return "\(endpoint): timed out \(phase)"
        case .protocolError(let endpoint, let reason): return "\(endpoint): \(reason)"
        case .bodyTooLarge(let endpoint, let limit): return "\(endpoint): response body larger than \(limit) bytes"
        }
    }
}
