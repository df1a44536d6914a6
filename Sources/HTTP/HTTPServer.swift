import EventLoop
import Glibc
import Posix
import Transport

public struct HTTPServerLimits: Sendable {
    /// Longest request line, and largest header block (bytes): beyond them, 400 and 431.
    public var maxRequestLine = 8192
    public var maxHeaderBytes = 8192
    /// Request bodies are discarded; one larger than this gets 413 and the connection closes.
    public var maxBodyBytes = 64 * 1024
    /// A request must arrive whole within this, from its first byte (408 and close otherwise).
    public var requestTimeout: Duration = .seconds(10)
    /// A connection with no request in progress is closed after this.
    public var idleTimeout: Duration = .seconds(60)
    /// Accepted connections beyond this are closed at once.
    public var maxConnections = 256
    public var maxConcurrentStreams = 100

    public init() {}

    var parserLimits: HTTP1Parser.Limits {
        HTTP1Parser.Limits(maxRequestLine: maxRequestLine, maxHeaderBytes: maxHeaderBytes, maxBodyBytes: maxBodyBytes)
    }
}

/// The health and metrics server: HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one port, on one loop
/// (its traffic is tiny). Binds in `init`, so `address` is known (port 0 allowed); accepts after `start()`.
/// `stop()` may be called from any thread; everything else happens on `loop`.
///
/// With a server `TLSContext`, every accepted socket is a `TLSConnection` (HTTPS). The protocol is still
/// chosen from the first decrypted bytes: a client that negotiated ALPN "h2" must open with the HTTP/2
/// preface (RFC 9113 §3.4), anything else is HTTP/1.1, so the context's ALPN list decides what is offered.
public final class HTTPServer: @unchecked Sendable {
    public let loop: EventLoop
    /// The bound address (the real port when bound to port 0).
    public let address: SocketAddress
    private let listener: TCPListener
    private let router: HTTPRouter
    private let limits: HTTPServerLimits
    private let tls: TLSContext?
    private var connections: [ObjectIdentifier: HTTPServerConnection] = [:]
    private var stopped = false

    public init(bindTo address: SocketAddress, loop: EventLoop, router: HTTPRouter,
                limits: HTTPServerLimits = HTTPServerLimits(), reusePort: Bool = false,
                tls: TLSContext? = nil) throws(IOError) {
        // The listener needs its accept callback before `self` exists; the box closes that loop.
        let box = WeakServer()
        listener = try TCPListener(bindTo: address, loop: loop, reusePort: reusePort) { fd in
            guard let server = box.server else { return }   // fd closes as it goes out of scope
            server.accept(fd)
        }
        self.loop = loop
        self.address = listener.address
        self.router = router
        self.limits = limits
        self.tls = tls
        box.server = self
    }

    /// Starts accepting. Call on `loop`.
    public func start() throws(IOError) {
        loop.assertInLoop()
        guard !stopped else { return }
        try listener.start()
    }

    /// Closes the listener and every connection. Any thread; `completion` runs on the loop once done.
    public func stop(completion: (@Sendable () -> Void)? = nil) {
        guard loop.inEventLoop else {
            loop.execute { self.stop(completion: completion) }
            return
        }
        if !stopped {
            stopped = true
            listener.close()
            for connection in Array(connections.values) { connection.connection.close(error: nil) }
            connections.removeAll()
        }
        completion?()
    }

    /// Open connections. Call on `loop`.
    public var connectionCount: Int {
        loop.assertInLoop()
        return connections.count
    }

    private func accept(_ fd: consuming FileDescriptor) {
        guard !stopped, connections.count < limits.maxConnections else { return }
        let connection: Connection
        do {
            if let tls {
                connection = try TLSConnection(acceptedFD: fd, loop: loop, context: tls,
                                               handshakeTimeout: limits.requestTimeout)
            } else {
                connection = try TCPConnection(fd: fd, loop: loop)
            }
        } catch {
            return
        }
        let session = HTTPServerConnection(connection: connection, router: router, limits: limits) { [weak self] s in
            self?.connections[ObjectIdentifier(s)] = nil
        }
        connections[ObjectIdentifier(session)] = session
    }
}

private final class WeakServer {
    weak var server: HTTPServer?
}
