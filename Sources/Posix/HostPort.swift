import Glibc

/// "host:port", "[v6]:port", ":port", or a bare host (which gets `defaultPort`), as the Go proxy accepts
/// them for `--bind`, `--http-bind` and contact points.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String, defaultPort: Int, defaultHost: String = "0.0.0.0") {
        let s = text.trimmingWhitespace()
        guard !s.isEmpty else { return nil }
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { port = defaultPort; return }
            guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()), (0...65535).contains(p) else { return nil }
            port = p
            return
        }
        let colons = s.filter { $0 == ":" }.count
        if colons == 1, let idx = s.lastIndex(of: ":") {
            let h = String(s[..<idx])
            guard let p = Int(s[s.index(after: idx)...]), (0...65535).contains(p) else { return nil }
            host = h.isEmpty ? defaultHost : h
            port = p
        } else {
            host = s            // a bare name, IPv4 or unbracketed IPv6
            port = defaultPort
        }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Resolves to socket addresses: numeric at once, names through getaddrinfo (blocking: call off the loops).
    public func resolve() throws(IOError) -> [SocketAddress] {
        if let numeric = SocketAddress(ip: host, port: port) { return [numeric] }
        var hints = addrinfo()
        hints.ai_socktype = CInt(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw IOError(errno: rc == EAI_SYSTEM ? errno : EHOSTUNREACH, call: "getaddrinfo(\(host))")
        }
        defer { freeaddrinfo(first) }
        var out: [SocketAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let ai = cursor {
            if let sa = ai.pointee.ai_addr, ai.pointee.ai_family == AF_INET || ai.pointee.ai_family == AF_INET6 {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(ai.pointee.ai_addrlen)))
                }
                let address = SocketAddress(storage: storage, length: ai.pointee.ai_addrlen)
                if !out.contains(address) { out.append(address) }
            }
            cursor = ai.pointee.ai_next
        }
        return out
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
