import Posix

public enum HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    case http1_0, http1_1, http2

    public var description: String {
        switch self {
        case .http1_0: return "HTTP/1.0"
        case .http1_1: return "HTTP/1.1"
        case .http2: return "HTTP/2"
        }
    }
}

/// Header fields in arrival order; names are compared case-insensitively (stored lowercased).
public struct HTTPHeaders: Sendable, Hashable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name: name, value: value) }
    }

    public mutating func add(name: String, value: String) {
        fields.append((name.lowercased(), value))
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        let key = name.lowercased()
        return fields.first { $0.name == key }?.value
    }

    public func values(_ name: String) -> [String] {
        let key = name.lowercased()
        return fields.filter { $0.name == key }.map(\.value)
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    public static func == (a: HTTPHeaders, b: HTTPHeaders) -> Bool {
        a.fields.elementsEqual(b.fields) { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        for (name, value) in fields { hasher.combine(name); hasher.combine(value) }
    }
}

/// A request as the handler sees it: the body is never read (health endpoints take none).
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent, e.g. `/readiness?verbose=1`.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var remoteAddress: SocketAddress?

    public init(method: String, target: String, version: HTTPVersion, headers: HTTPHeaders = HTTPHeaders(),
                remoteAddress: SocketAddress? = nil) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.remoteAddress = remoteAddress
    }

    /// The target without its query.
    public var path: String {
        guard let q = target.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return target }
        return String(target[..<q])
    }

    /// What follows `?`, if anything.
    public var query: String? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: q)...])
    }
}
