import EventLoop
import Glibc
import Posix

/// Opens a TLS connection without blocking the loop: TCP connect, then the handshake, both within one
/// `timeout`. The completion runs once, on `loop`, with an established connection or a `TLSError`.
public final class TLSConnector: IOHandler {
    public typealias Completion = (Result<TLSConnection, TLSError>) -> Void
    private let loop: EventLoop
    private let address: SocketAddress
    private let context: TLSContext
    private let serverName: String?
    private let expectedHostName: String?
    private let limits: ConnectionLimits
    private let deadline: Int64
    private var fd: FileDescriptor?
    private var registration: Registration?
    private var timer: TimerHandle?
    private var connection: TLSConnection?
    private var completion: Completion?

    /// Starts connecting with a shared context; `serverName` / `expectedHostName` override its configuration
    /// for this connection. Call on `loop`.
    @discardableResult
    public static func connect(to address: SocketAddress, on loop: EventLoop, context: TLSContext,
                               serverName: String? = nil, expectedHostName: String? = nil, timeout: Duration,
                               limits: ConnectionLimits = ConnectionLimits(),
                               completion: @escaping Completion) -> TLSConnector {
        let connector = TLSConnector(loop: loop, address: address, context: context, serverName: serverName,
                                     expectedHostName: expectedHostName, timeout: timeout, limits: limits,
                                     completion: completion)
        connector.begin(timeout: timeout)
        return connector
    }

    /// Builds a context from `configuration` for this one connection (prefer sharing a `TLSContext`).
    @discardableResult
    public static func connect(to address: SocketAddress, on loop: EventLoop, configuration: TLSConfiguration,
                               timeout: Duration, limits: ConnectionLimits = ConnectionLimits(),
                               completion: @escaping Completion) -> TLSConnector? {
        do {
            let context = try TLSContext(configuration: configuration)
            return connect(to: address, on: loop, context: context, timeout: timeout, limits: limits,
                           completion: completion)
        } catch {
            completion(.failure(error))
            return nil
        }
    }

    private init(loop: EventLoop, address: SocketAddress, context: TLSContext, serverName: String?,
                 expectedHostName: String?, timeout: Duration, limits: ConnectionLimits, completion: @escaping Completion) {
        self.loop = loop
        self.address = address
        self.context = context
        self.serverName = serverName
        self.expectedHostName = expectedHostName
        self.limits = limits
        self.completion = completion
        let (seconds, attoseconds) = timeout.components
        deadline = MonotonicClock.now() + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private func begin(timeout: Duration) {
        do {
            let socket = try Socket.makeTCP(family: address.family)
            let raw = socket.rawValue
            fd = consume socket
            switch try Socket.connect(raw, to: address) {
            case .processed:
                startHandshake()
            case .wouldBlock:
                registration = try loop.register(raw, interest: .writable, handler: self)
                timer = loop.schedule(after: timeout) { [weak self] in
                    guard let self else { return }
                    self.timer = nil
                    self.finish(.failure(.connectFailed(.connectTimeout(self.address))))
                }
            }
        } catch {
            finish(.failure(.connectFailed(.io(error))))
        }
    }

    /// Abandons the attempt without calling the completion (the owner went away).
    public func cancel() {
        completion = nil
        finish(.failure(.handshakeFailed("cancelled")))
    }

    public func handleIO(_ events: IOEvents) {
        guard let raw = fd?.rawValue else { return }
        if let error = Socket.pendingError(raw) {
            finish(.failure(.connectFailed(.io(error))))
        } else {
            startHandshake()
        }
    }

    private func stopWatching() {
        if let registration { loop.unregister(registration) }
        registration = nil
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func startHandshake() {
        stopWatching()
        guard let socket = fd.take() else { return }
        let remaining = max(deadline - MonotonicClock.now(), 1_000_000)
        do {
            let connection = try TLSConnection(connectedFD: socket, loop: loop, context: context, serverName: serverName,
                                               expectedHostName: expectedHostName,
                                               handshakeTimeout: .nanoseconds(remaining), limits: limits)
            self.connection = connection
            connection.onHandshake = { [self] result in
                switch result {
                case .success: finish(.success(connection))
                case .failure(let error): finish(.failure(error))
                }
            }
        } catch {
            finish(.failure(error))
        }
    }

    private func finish(_ result: Result<TLSConnection, TLSError>) {
        stopWatching()
        fd.take()?.close()
        let connection = self.connection
        self.connection = nil
        let completion = self.completion
        self.completion = nil
        if case .failure = result, let connection, connection.isOpen {
            connection.onHandshake = nil
            connection.close(error: nil)
        }
        completion?(result)
    }
}
