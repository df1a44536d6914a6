import CQLProtocol
import Transport

public enum UpstreamError: Error, Sendable, CustomStringConvertible {
    /// The node refused our protocol version (so try a lower one).
    case unsupportedProtocolVersion(UInt8, String)
    case authenticationRequired(String)
    case authenticationFailed(String)
    case handshakeFailed(String)
    case connectionClosed(String)
    case idleTimeout
    case requestTimeout(Duration)
    case noConnectionAvailable
    case keyspaceUnavailable(String, String)
    case unexpectedResponse(String)
    case transport(TransportError)
    case tls(TLSError)
    case resolve(String)

    public var description: String {
        switch self {
        case .unsupportedProtocolVersion(let v, let message): return "protocol v\(v) refused: \(message)"
        case .authenticationRequired(let authenticator):
            return "the cluster requires authentication (\(authenticator)); set --username and --password"
        case .authenticationFailed(let message): return "authentication failed: \(message)"
        case .handshakeFailed(let message): return "handshake failed: \(message)"
        case .connectionClosed(let why): return "upstream connection closed: \(why)"
        case .idleTimeout: return "upstream connection idle: no heartbeat answer"
        case .requestTimeout(let after): return "no answer from upstream within \(after)"
        case .noConnectionAvailable: return "no upstream connection available"
        case .keyspaceUnavailable(let ks, let why): return "keyspace \(ks) unavailable: \(why)"
        case .unexpectedResponse(let what): return "unexpected upstream response: \(what)"
        case .transport(let error): return error.description
        case .tls(let error): return "TLS: \(error)"
        case .resolve(let why): return why
        }
    }
}
