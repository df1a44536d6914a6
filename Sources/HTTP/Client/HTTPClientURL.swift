/// The parts of an `https://host[:port][/path][?query]` URL the client needs.
struct HTTPClientURL: Equatable, Sendable {
    var host: String
    var port: Int
    /// Path and query as sent on the request line / in `:path`; "/" when the URL has none.
    var target: String

    /// `host:port` for messages: never the path or query, which may carry a pre-signed download's signature.
    var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The `Host` / `:authority` value: the port only when it is not the default.
    var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == 443 ? h : "\(h):\(port)"
    }

    init(parsing text: String) throws(HTTPClientError) {
        let scheme = "https://"
        guard text.lowercased().hasPrefix(scheme) else {
            throw .invalidURL("only https:// URLs are supported (got \(Self.redacted(text)))")
        }
        let rest = text.dropFirst(scheme.count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let fragment = target.firstIndex(of: "#") { target = String(target[..<fragment]) }
        if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
        guard !authority.isEmpty, !authority.contains("@") else {
            throw .invalidURL("no host, or user info, in \(Self.redacted(text))")
        }
        guard let hostPort = Self.splitAuthority(authority) else {
            throw .invalidURL("bad host or port in \(Self.redacted(text))")
        }
        guard !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw .invalidURL("spaces or control characters in the path of \(Self.redacted(text))")
        }
        host = hostPort.host
        port = hostPort.port
        self.target = target
    }

    private static func splitAuthority(_ authority: Substring) -> (host: String, port: Int)? {
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        guard let portText else { return (String(host), 443) }
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    /// Scheme, host and path: safe to print. The query (a pre-signed URL's signature) and user info
    /// (`user:password@`) are cut out.
    static func redacted(_ text: String) -> String {
        let cut = text.firstIndex { $0 == "?" || $0 == "#" } ?? text.endIndex
        var head = String(text[..<cut].prefix(200))
        if let schemeEnd = head.firstRange(of: "://") {
            let authorityEnd = head[schemeEnd.upperBound...].firstIndex(of: "/") ?? head.endIndex
            if let at = head[schemeEnd.upperBound..<authorityEnd].lastIndex(of: "@") {
                head.replaceSubrange(schemeEnd.upperBound...at, with: "…@")
            }
        }
        return cut == text.endIndex ? head : head + "?…"
    }
}
