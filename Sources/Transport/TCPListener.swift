import EventLoop
import Glibc
import Posix

/// A listening socket on one loop. With `reusePort`, one listener per loop shares the port and the kernel
/// spreads new connections over them (SO_REUSEPORT), so accepted sockets never cross threads.
public final class TCPListener: IOHandler {
    public let loop: EventLoop
    public let address: SocketAddress
    private var fd: FileDescriptor?
    private var registration: Registration?
    private let onAccept: (consuming FileDescriptor) -> Void

    /// Binds and listens at once (so the port is known); starts accepting on `loop` with `start()`.
    public init(bindTo address: SocketAddress, loop: EventLoop, reusePort: Bool,
                onAccept: @escaping (consuming FileDescriptor) -> Void) throws(IOError) {
        self.loop = loop
        self.onAccept = onAccept
        let socket = try Socket.makeTCP(family: address.family)
        try Socket.setOption(socket.rawValue, level: SOL_SOCKET, name: SO_REUSEADDR, value: 1)
        if reusePort { try Socket.setOption(socket.rawValue, level: SOL_SOCKET, name: SO_REUSEPORT, value: 1) }
        try Socket.bind(socket.rawValue, to: address)
        try Socket.listen(socket.rawValue)
        self.address = Socket.localAddress(socket.rawValue) ?? address
        fd = consume socket
    }

    /// Registers on the loop. Call on `loop`.
    public func start() throws(IOError) {
        guard let raw = fd?.rawValue, registration == nil else { return }
        registration = try loop.register(raw, interest: .readable, handler: self)
    }

    /// Stops accepting; established connections are not touched. Call on `loop`.
    public func close() {
        if let registration { loop.unregister(registration) }
        registration = nil
        fd.take()?.close()
    }

    public func handleIO(_ events: IOEvents) {
        // Bounded so a connection storm cannot starve the loop's established connections.
        for _ in 0..<64 {
            guard let raw = fd?.rawValue else { return }
            do {
                switch try Socket.accept(raw) {
                case .wouldBlock: return
                case .processed(let newFD): onAccept(newFD)
                }
            } catch {
                // EMFILE/ENFILE/ECONNABORTED: the listener stays; try again on the next event.
                return
            }
        }
    }
}
