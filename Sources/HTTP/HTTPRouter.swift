/// Maps paths to handlers. Only GET and HEAD are served: health and metrics endpoints are read-only.
/// Handlers run on the server's loop and must answer at once, from state they can read synchronously
/// (an atomic, a mutex-guarded snapshot): no I/O, no waiting.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    private var routes: [String: Handler] = [:]

    public init() {}

    /// Serves `path` (matched exactly, query ignored) for GET and for HEAD (same headers, no body).
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        routes[path] = handler
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let handler = routes[request.path] else { return .text("404 page not found\n", status: 404) }
        guard request.method == "GET" || request.method == "HEAD" else {
            var response = HTTPResponse.text("method not allowed\n", status: 405)
            response.headers.add(name: "Allow", value: "GET, HEAD")
            return response
        }
        return handler(request)
    }
}
