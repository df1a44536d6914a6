import EventLoop
import Posix
import Transport

/// The protocol half of an exchange (HTTP/1.1 or HTTP/2), as the connection's delegate.
protocol HTTPClientSession: ConnectionDelegate {
    /// Stop reporting: the exchange has already given its answer (deadline).
    func abandon()
}

/// One request on the client's private loop: connect (each resolved address in turn), TLS through
/// `TLSConnector`, then HTTP/1.1 or HTTP/2 as ALPN decided, all under one deadline. `finish` runs once, on
/// the loop, after the connection has been closed or handed its close. Loop-only.
final class HTTPSExchange {
    private let loop: EventLoop
    private let url: HTTPClientURL
    private let request: HTTPClientRequest
    private let context: TLSContext
    private var addresses: [SocketAddress]
    private let maxBodyBytes: Int
    private let deadline: Int64
    private var connector: TLSConnector?
    private var connection: TLSConnection?
    private var session: HTTPClientSession?
    private var timer: TimerHandle?
    private var inGrace = false
    private var lastConnectError: HTTPClientError?
    private var finish: ((Result<HTTPClientResponse, HTTPClientError>) -> Void)?

    init(loop: EventLoop, url: HTTPClientURL, request: HTTPClientRequest, context: TLSContext,
         addresses: [SocketAddress], timeout: Duration, maxBodyBytes: Int,
         finish: @escaping (Result<HTTPClientResponse, HTTPClientError>) -> Void) {
        self.loop = loop
        self.url = url
        self.request = request
        self.context = context
        self.addresses = addresses
        self.maxBodyBytes = maxBodyBytes
        self.finish = finish
        let (seconds, attoseconds) = timeout.components
        deadline = MonotonicClock.now() + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Call on the loop.
    func start() {
        loop.assertInLoop()
        armDeadline(after: .nanoseconds(max(deadline - MonotonicClock.now(), 0)))
        connectNext()
    }

    private func armDeadline(after delay: Duration) {
        timer = loop.schedule(after: delay) { [self] in
            timer = nil
            if connector != nil && !inGrace {
                // The connector has the same deadline and knows whether TCP or TLS was slow: let it say,
                // keeping a short grace in case it cannot.
                inGrace = true
                armDeadline(after: .milliseconds(200))
                return
            }
            if connection == nil {
                report(.failure(.connectTimeout(endpoint: url.endpoint)))
            } else {
                report(.failure(.timeout(endpoint: url.endpoint, phase: "waiting for the response")))
            }
        }
    }

    private func connectNext() {
        guard finish != nil else { return }
        guard !addresses.isEmpty else {
            report(.failure(lastConnectError ?? .connectFailed(endpoint: url.endpoint, reason: "no address")))
            return
        }
        let address = addresses.removeFirst()
        let remaining = Duration.nanoseconds(max(deadline - MonotonicClock.now(), 1_000_000))
        connector = TLSConnector.connect(to: address, on: loop, context: context, serverName: nil,
                                         expectedHostName: nil, timeout: remaining) { [self] result in
            connector = nil
            switch result {
            case .success(let connection):
                established(connection)
            case .failure(.connectFailed(.connectTimeout)):
                report(.failure(.connectTimeout(endpoint: url.endpoint)))
            case .failure(.connectFailed(let error)):
                // Refused or unreachable: the next address may answer (e.g. IPv4 after IPv6).
                lastConnectError = .connectFailed(endpoint: url.endpoint, reason: "\(error)")
                connectNext()
            case .failure(.handshakeTimeout):
                report(.failure(.timeout(endpoint: url.endpoint, phase: "in the TLS handshake")))
            case .failure(let error):
                report(.failure(Self.classify(error, endpoint: url.endpoint)))
            }
        }
    }

    private func established(_ connection: TLSConnection) {
        guard finish != nil else { connection.close(error: nil); return }
        self.connection = connection
        let done: (Result<HTTPClientResponse, HTTPClientError>) -> Void = { [self] result in report(result) }
        if connection.negotiatedALPN == "h2" {
            session = HTTP2ClientSession(connection: connection, url: url, request: request,
                                         maxBodyBytes: maxBodyBytes, finish: done)
        } else {
            session = HTTP1ClientSession(connection: connection, url: url, request: request,
                                         maxBodyBytes: maxBodyBytes, finish: done)
        }
    }

    private func report(_ result: Result<HTTPClientResponse, HTTPClientError>) {
        guard let finish else { return }
        self.finish = nil
        if let timer { loop.cancel(timer) }
        timer = nil
        connector?.cancel()
        connector = nil
        session?.abandon()
        if let connection, connection.isOpen {
            // A session that completed has already queued its close (after flushing a GOAWAY); anything
            // else (deadline, error) ends the connection now.
            if case .failure = result { connection.close(error: nil) }
        }
        finish(result)
    }

    /// Ends whatever is still open (a connection closing after its GOAWAY, a connect in flight). Called on
    /// the loop just before it stops, so nothing stays registered on a loop that no longer runs.
    func shutdown() {
        report(.failure(.protocolError(endpoint: url.endpoint, reason: "client shut down")))
        if let connection, connection.isOpen { connection.close(error: nil) }
        connection = nil
        session = nil
    }

    /// Maps what a connection closed with onto the client's errors.
    static func classify(_ error: Error, endpoint: String) -> HTTPClientError {
        switch error {
        case let tls as TLSError:
            switch tls {
            case .handshakeFailed(let reason), .io(let reason), .invalidConfiguration(let reason):
                return .tls(endpoint: endpoint, reason: reason)
            case .handshakeTimeout:
                return .timeout(endpoint: endpoint, phase: "in the TLS handshake")
            case .connectFailed(.connectTimeout):
                return .connectTimeout(endpoint: endpoint)
            case .connectFailed(let transport):
                return .connectFailed(endpoint: endpoint, reason: "\(transport)")
            }
        case TransportError.closedByPeer:
            return .protocolError(endpoint: endpoint, reason: "connection closed before the response was complete")
        default:
            return .protocolError(endpoint: endpoint, reason: "\(error)")
        }
    }
}
