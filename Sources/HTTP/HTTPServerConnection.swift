import EventLoop
import Transport

/// One accepted socket. Reads its first bytes to choose the protocol: the HTTP/2 connection preface means
/// h2c with prior knowledge, anything else is HTTP/1.x. Owned by the server until the socket closes.
final class HTTPServerConnection: ConnectionDelegate {
    static let http2Preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private enum Mode {
        case sniffing
        case http1(HTTP1Connection)
        case http2(HTTP2Connection)
    }

    let connection: Connection
    private let router: HTTPRouter
    private let limits: HTTPServerLimits
    private let deadline: Deadline
    private var mode = Mode.sniffing
    private let onClose: (HTTPServerConnection) -> Void

    init(connection: Connection, router: HTTPRouter, limits: HTTPServerLimits,
         onClose: @escaping (HTTPServerConnection) -> Void) {
        self.connection = connection
        self.router = router
        self.limits = limits
        self.onClose = onClose
        deadline = Deadline(loop: connection.loop)
        // A client that connects and says nothing is held no longer than one request may take. Armed as
        // "idle" so that a request starting now gets its own 408 deadline.
        deadline.arm(.idle, after: limits.requestTimeout) { [weak connection] in connection?.close(error: nil) }
        connection.delegate = self
    }

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        switch mode {
        case .http1(let http1):
            http1.didRead(buffer)
        case .http2(let http2):
            http2.didRead(buffer)
        case .sniffing:
            let preface = Self.http2Preface
            let n = min(buffer.readableCount, preface.count)
            if !buffer.readable.prefix(n).elementsEqual(preface.prefix(n)) {
                let http1 = HTTP1Connection(connection: connection, router: router, limits: limits, deadline: deadline)
                mode = .http1(http1)
                http1.didRead(buffer)
            } else if n == preface.count {
                let http2 = HTTP2Connection(connection: connection, router: router, limits: limits, deadline: deadline)
                mode = .http2(http2)
                http2.didRead(buffer)
            }
            // Otherwise a prefix of the preface: wait for the rest.
        }
    }

    func connectionDidDrain(_ connection: Connection) {
        switch mode {
        case .http1(let http1): http1.didDrain()
        case .http2(let http2): http2.didDrain()
        case .sniffing: break
        }
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        deadline.cancel()
        switch mode {
        case .http1(let http1): http1.closed()
        case .http2(let http2): http2.closed()
        case .sniffing: break
        }
        onClose(self)
    }
}
