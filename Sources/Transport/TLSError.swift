import COpenSSL

/// Everything TLS can fail with, as one value. The text names the problem and carries OpenSSL's own error
/// strings; it never contains key material (OpenSSL's messages do not, and we never print PEM).
public enum TLSError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The configuration could not become a context: a missing field, an unreadable file, a bad PEM.
    case invalidConfiguration(String)
    /// The handshake failed: verification, protocol mismatch, a refused server name, the peer going away.
    case handshakeFailed(String)
    case handshakeTimeout
    /// The TCP connect before the handshake failed or timed out.
    case connectFailed(TransportError)
    /// A TLS error after the handshake (corrupt record, fatal alert) or a socket error under it.
    case io(String)

    /// A short stable label, for counters and logs.
    public var kind: String {
        switch self {
        case .invalidConfiguration: return "invalid_configuration"
        case .handshakeFailed: return "handshake_failed"
        case .handshakeTimeout: return "handshake_timeout"
        case .connectFailed: return "connect_failed"
        case .io: return "io"
        }
    }

    public var description: String {
        switch self {
        case .invalidConfiguration(let reason): return "TLS configuration: \(reason)"
        case .handshakeFailed(let reason): return "TLS handshake failed: \(reason)"
        case .handshakeTimeout: return "TLS handshake timed out"
        case .connectFailed(let error): return "TLS connect: \(error)"
        case .io(let reason): return "TLS: \(reason)"
        }
    }
}

extension TransportError: Equatable {
    public static func == (a: TransportError, b: TransportError) -> Bool {
        switch (a, b) {
        case (.connectTimeout(let x), .connectTimeout(let y)): return x == y
        case (.closedByPeer, .closedByPeer): return true
        case (.io(let x), .io(let y)): return x == y
        default: return false
        }
    }
}

enum OpenSSLErrors {
    /// Drains this thread's OpenSSL error queue into one line ("" when empty). OpenSSL keeps the queue per
    /// thread, so every call site clears it first (`ERR_clear_error`) and reads it right after failing.
    static func drain() -> String {
        var messages: [String] = []
        var buffer = [CChar](repeating: 0, count: 256)
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.joined(separator: "; ")
    }

    /// "what: openssl text", or just "what" when OpenSSL said nothing.
    static func describe(_ what: String) -> String {
        let detail = drain()
        return detail.isEmpty ? what : "\(what): \(detail)"
    }
}
