import EventLoop
import Glibc
import Posix

/// Opens a TCP connection without blocking the loop: connect → writable → SO_ERROR, with a timeout.
public final class TCPConnector: IOHandler {
    public typealias Completion = (Result<TCPConnection, TransportError>) -> Void
    private let loop: EventLoop
    private let address: SocketAddress
    private var fd: FileDescriptor?
    private var registration: Registration?
    private var timer: TimerHandle?
    private var completion: Completion?
    private let limits: ConnectionLimits

    /// Starts connecting; `completion` runs once on `loop`. Call on `loop`.
    @discardableResult
    public static func connect(to address: SocketAddress, on loop: EventLoop, timeout: Duration,
                               limits: ConnectionLimits = ConnectionLimits(),
                               completion: @escaping Completion) -> TCPConnector {
        let connector = TCPConnector(loop: loop, address: address, limits: limits, completion: completion)
        connector.begin(timeout: timeout)
        return connector
    }

    private init(loop: EventLoop, address: SocketAddress, limits: ConnectionLimits, completion: @escaping Completion) {
        self.loop = loop
        self.address = address
        self.limits = limits
        self.completion = completion
    }

    private func begin(timeout: Duration) {
        do {
            let socket = try Socket.makeTCP(family: address.family)
            let raw = socket.rawValue
            fd = consume socket
            switch try Socket.connect(raw, to: address) {
            case .processed:
                finishConnected()
            case .wouldBlock:
                registration = try loop.register(raw, interest: .writable, handler: self)
                timer = loop.schedule(after: timeout) { [weak self] in
                    guard let self else { return }
                    self.fail(.connectTimeout(self.address))
                }
            }
        } catch {
            fail(.io(error))
        }
    }

    /// Abandons the attempt without calling the completion (the owner went away).
    public func cancel() {
        completion = nil
        cleanup()
        fd.take()?.close()
    }

    public func handleIO(_ events: IOEvents) {
        guard let raw = fd?.rawValue else { return }
        if let error = Socket.pendingError(raw) {
            fail(.io(error))
        } else {
            finishConnected()
        }
    }

    private func cleanup() {
        if let registration { loop.unregister(registration) }
        registration = nil
        if let timer { loop.cancel(timer) }
        timer = nil
    }

    private func finishConnected() {
        cleanup()
        guard let socket = fd.take(), let completion else { return }
        self.completion = nil
        do {
            completion(.success(try TCPConnection(fd: socket, loop: loop, limits: limits)))
        } catch {
            completion(.failure(.io(error)))
        }
    }

    private func fail(_ error: TransportError) {
        cleanup()
        fd.take()?.close()
        let completion = self.completion
        self.completion = nil
        completion?(.failure(error))
    }
}
