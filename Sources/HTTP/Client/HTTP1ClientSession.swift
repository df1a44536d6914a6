import EventLoop
import Transport

/// One HTTP/1.1 request on a fresh connection with `Connection: close`: write it, parse the answer, done.
/// Loop-only.
final class HTTP1ClientSession: HTTPClientSession {
    private let connection: Connection
    private let url: HTTPClientURL
    private var parser: HTTP1ResponseParser
    private var finish: ((Result<HTTPClientResponse, HTTPClientError>) -> Void)?

    init(connection: Connection, url: HTTPClientURL, request: HTTPClientRequest, maxBodyBytes: Int,
         finish: @escaping (Result<HTTPClientResponse, HTTPClientError>) -> Void) {
        self.connection = connection
        self.url = url
        self.finish = finish
        parser = HTTP1ResponseParser(maxBodyBytes: maxBodyBytes, isHeadRequest: request.method == "HEAD")
        connection.delegate = self
        connection.write(Self.serialize(request, url: url))
    }

    static func serialize(_ request: HTTPClientRequest, url: HTTPClientURL) -> [UInt8] {
        var head = "\(request.method) \(url.target) HTTP/1.1\r\nHost: \(url.authority)\r\nConnection: close\r\n"
        let hasBody = !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method)
        if hasBody { head += "Content-Length: \(request.body.count)\r\n" }
        var sawUserAgent = false
        for (name, value) in request.headers where !HTTPClientRequest.ownedHeaders.contains(name) {
            sawUserAgent = sawUserAgent || name == "user-agent"
            head += "\(HTTPResponse.canonicalName(name)): \(HTTPResponse.sanitize(value))\r\n"
        }
        if !sawUserAgent { head += "User-Agent: \(HTTPSClient.userAgent)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + request.body
    }

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        let input = buffer.readable
        defer { buffer.consume(input.count) }
        do {
            if try parser.feed(UnsafeRawBufferPointer(input)) { complete() }
        } catch {
            fail(error)
        }
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        guard finish != nil else { return }
        if let error {
            report(.failure(HTTPSExchange.classify(error, endpoint: url.endpoint)))
            return
        }
        do {
            try parser.finishAtEOF()
            complete()
        } catch {
            fail(error)
        }
    }

    /// The exchange gave up (deadline): forget the completion; the exchange closes the connection.
    func abandon() { finish = nil }

    private func complete() {
        report(.success(HTTPClientResponse(status: parser.status, headers: parser.headers, body: parser.body,
                                           version: parser.version)))
        connection.close(error: nil)
    }

    private func fail(_ failure: HTTP1ResponseParser.Failure) {
        switch failure {
        case .bodyTooLarge:
            report(.failure(.bodyTooLarge(endpoint: url.endpoint, limit: parser.maxBodyBytes)))
        case .malformed(let reason):
            report(.failure(.protocolError(endpoint: url.endpoint, reason: reason)))
        }
        connection.close(error: nil)
    }

    private func report(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        guard let finish else { return }
        self.finish = nil
        finish(result)
    }
}
