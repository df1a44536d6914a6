/// A request for `HTTPSClient`: an absolute `https://` URL, extra headers, an optional body.
/// The client owns the framing headers (`Host`, `Content-Length`, `Connection`, `Transfer-Encoding`) and
/// ignores copies of them here.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String = "GET", url: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Headers the client writes itself, or that HTTP/2 forbids (RFC 9113 §8.2.2).
    static let ownedHeaders: Set<String> = [
        "host", "content-length", "connection", "transfer-encoding", "keep-alive", "proxy-connection", "upgrade", "te",
    ]
}

/// A complete response, body read to its end (de-chunked for HTTP/1.1).
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// `.http2` when the server chose h2 through ALPN, else `.http1_1` (or `.http1_0`).
    public var version: HTTPVersion

    public init(status: Int, headers: HTTPHeaders, body: [UInt8], version: HTTPVersion) {
        self.status = status
        self.headers = headers
        self.body = body
        self.version = version
    }
}
