import EventLoop
import Transport

/// HTTP/1.x on one connection: requests are answered synchronously as they are parsed, so pipelined
/// requests are answered in order with no queue. Any error answer ends the connection.
final class HTTP1Connection {
    private let connection: Connection
    private let router: HTTPRouter
    private let limits: HTTPServerLimits
    private let deadline: Deadline
    /// Bytes of the last request's body still to be discarded.
    private var bodyToSkip = 0
    private var closing = false

    init(connection: Connection, router: HTTPRouter, limits: HTTPServerLimits, deadline: Deadline) {
        self.connection = connection
        self.router = router
        self.limits = limits
        self.deadline = deadline
    }

    func didRead(_ buffer: ReadBuffer) {
        while !closing, connection.isOpen {
            if bodyToSkip > 0 {
                let n = min(bodyToSkip, buffer.readableCount)
                buffer.consume(n)
                bodyToSkip -= n
                if bodyToSkip > 0 { break }
            }
            guard buffer.readableCount > 0 else { break }
            // A client pipelining faster than it reads waits until its answers drain.
            if connection.isWriteBackedUp { connection.pauseReading(); break }
            switch HTTP1Parser.parse(UnsafeRawBufferPointer(buffer.readable), limits: limits.parserLimits) {
            case .needMore:
                armDeadline(midRequest: true)
                return
            case .error(let error):
                fail(status: error.status)
                return
            case .head(let head, let consumed):
                buffer.consume(consumed)
                bodyToSkip = head.contentLength
                answer(head)
            }
        }
        if !closing { armDeadline(midRequest: bodyToSkip > 0 || buffer.readableCount > 0) }
        buffer.shrinkIfIdle()
    }

    func didDrain() {
        connection.resumeReading()
    }

    func closed() {
        closing = true
        deadline.cancel()
    }

    private func armDeadline(midRequest: Bool) {
        if midRequest {
            // Measured from the request's first byte, not re-armed per read: a trickling client still times out.
            if deadline.kind != .request {
                deadline.arm(.request, after: limits.requestTimeout) { [weak self] in self?.fail(status: 408) }
            }
        } else {
            deadline.arm(.idle, after: limits.idleTimeout) { [weak self] in
                guard let self else { return }
                self.closing = true
                self.connection.close(error: nil)
            }
        }
    }

    private func answer(_ head: HTTP1Head) {
        let request = HTTPRequest(method: head.method, target: head.target, version: head.version,
                                  headers: head.headers, remoteAddress: connection.remoteAddress)
        let response = router.respond(to: request)
        write(response, omitBody: head.method == "HEAD", keepAlive: head.keepAlive, version: head.version)
        if !head.keepAlive { finish() }
    }

    private func fail(status: Int) {
        guard !closing else { return }
        write(.text(HTTPResponse.reason(status) + "\n", status: status), omitBody: false, keepAlive: false,
              version: .http1_1)
        finish()
    }

    private func finish() {
        closing = true
        deadline.cancel()
        connection.closeAfterFlush()
    }

    private func write(_ response: HTTPResponse, omitBody: Bool, keepAlive: Bool, version: HTTPVersion) {
        var out = "HTTP/1.1 \(response.status) \(HTTPResponse.reason(response.status))\r\n"
        for (name, value) in response.headers where !HTTPResponse.framingHeaders.contains(name) {
            out += "\(HTTPResponse.canonicalName(name)): \(HTTPResponse.sanitize(value))\r\n"
        }
        // RFC 9110 §8.6: no Content-Length on 1xx and 204; every other answer carries one, so keep-alive works.
        let bodyless = response.status < 200 || response.status == 204 || response.status == 304
        if !bodyless { out += "Content-Length: \(response.body.count)\r\n" }
        if !keepAlive {
            out += "Connection: close\r\n"
        } else if version == .http1_0 {
            out += "Connection: keep-alive\r\n"
        }
        out += "\r\n"
        var bytes = Array(out.utf8)
        if !omitBody && !bodyless { bytes += response.body }
        connection.write(bytes)
    }
}
