/// A complete response: the server adds `Content-Length` (and the connection headers of HTTP/1.1) itself.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "text/plain; charset=utf-8")]),
                     body: Array(text.utf8))
    }

    public static func json(_ json: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]),
                     body: Array(json.utf8))
    }

    /// Headers the server owns: a handler's copy would contradict the framing the server chose.
    static let framingHeaders: Set<String> = [
        "content-length", "connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection", "te",
    ]

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}

extension HTTPResponse {
    /// A CR or LF in a handler's value would let it forge headers; NUL is invalid in both versions.
    static func sanitize(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else { return value }
        return String(value.map { $0 == "\r" || $0 == "\n" || $0 == "\0" || $0 == "\r\n" ? " " : $0 })
    }

    /// `content-type` → `Content-Type`: names are stored lowercased, HTTP/1.1 peers read them either way.
    static func canonicalName(_ name: String) -> String {
        var capitalizeNext = true
        return String(name.map { c -> Character in
            defer { capitalizeNext = c == "-" }
            return capitalizeNext ? Character(c.uppercased()) : c
        })
    }
}
