/// Maps paths to handlers. GET (with HEAD) and POST are served; a path registered for neither method
/// answers 405. Handlers run on the server's loop and must answer at once, from state they can read
/// synchronously (an atomic, a mutex-guarded snapshot): no I/O, no waiting. Request bodies are not read.
public struct HTTPRouter: Sendable {
    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    /// Path → method → handler.
    private var routes: [String: [String: Handler]] = [:]
    private var notFound: Handler = { _ in .text("404 page not found\n", status: 404) }

    public init() {}

    /// Serves `path` (matched exactly, query ignored) for GET and for HEAD (same headers, no body).
    public mutating func get(_ path: String, _ handler: @escaping Handler) {
        routes[path, default: [:]]["GET"] = handler
    }

    /// Serves `path` (matched exactly, query ignored) for POST.
    public mutating func post(_ path: String, _ handler: @escaping Handler) {
        routes[path, default: [:]]["POST"] = handler
    }

    /// Answers paths no route matches (404 by default), e.g. to check credentials before saying 404.
    public mutating func fallback(_ handler: @escaping Handler) {
        notFound = handler
    }

    public func respond(to request: HTTPRequest) -> HTTPResponse {
        guard let handlers = routes[request.path] else { return notFound(request) }
        let method = request.method == "HEAD" ? "GET" : request.method
        guard let handler = handlers[method] else {
            var response = HTTPResponse.text("method not allowed\n", status: 405)
            let allowed = handlers.keys.sorted().flatMap { $0 == "GET" ? ["GET", "HEAD"] : [$0] }
            response.headers.add(name: "Allow", value: allowed.joined(separator: ", "))
            return response
        }
        return handler(request)
    }
}
