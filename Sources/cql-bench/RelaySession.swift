import EventLoop
import Posix
import Transport

/// One client connection and its upstream connection, bytes copied both ways as they arrive. A side whose
/// peer's output is backed up stops reading until that output drains (back-pressure, no unbounded queue).
final class RelaySession: ConnectionDelegate {
    private let client: Connection
    private var upstream: Connection?
    private var connector: Dialer.Attempt?
    private let onEnd: (RelaySession) -> Void

    /// Call on the client's loop. The client is not read until the upstream connection is up (TLS handshake
    /// included); its bytes wait in its read buffer meanwhile.
    init(client: Connection, upstream dialer: Dialer, onEnd: @escaping (RelaySession) -> Void) {
        self.client = client
        self.onEnd = onEnd
        client.delegate = self
        client.pauseReading()
        var finished = false   // the completion may run before `connect` returns
        let attempt = dialer.connect(on: client.loop, timeout: .seconds(10)) { [weak self] result in
            finished = true
            guard let self else { return }
            connector = nil
            switch result {
            case .success(let upstream):
                guard client.isOpen else { upstream.close(error: nil); return }
                self.upstream = upstream
                upstream.delegate = self
                client.resumeReading()
            case .failure:
                client.close(error: nil)
            }
        }
        if !finished { connector = attempt }
    }

    private func peer(of connection: Connection) -> Connection? {
        connection === client ? upstream : client
    }

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        guard let peer = peer(of: connection) else { return }
        peer.write(UnsafeRawBufferPointer(buffer.readable))
        buffer.consume(buffer.readableCount)
        if peer.isWriteBackedUp { connection.pauseReading() }
    }

    func connectionDidDrain(_ connection: Connection) {
        peer(of: connection)?.resumeReading()
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        if connection === client {
            connector?.cancel()
            connector = nil
            upstream?.closeAfterFlush()
        } else {
            client.closeAfterFlush()
        }
        if !client.isOpen && !(upstream?.isOpen ?? false) { onEnd(self) }
    }
}

/// The sessions of one loop, kept alive until both their sides have closed.
final class RelayWorker {
    private var sessions: [ObjectIdentifier: RelaySession] = [:]
    private var listener: TCPListener?

    /// Binds and starts accepting; returns the bound address. Call on `loop`.
    func listen(on address: SocketAddress, to upstream: Dialer, loop: EventLoop, reusePort: Bool)
        throws(IOError) -> SocketAddress
    {
        let listener = try TCPListener(bindTo: address, loop: loop, reusePort: reusePort) { [unowned self] fd in
            guard let client = try? TCPConnection(fd: fd, loop: loop) else { return }
            let session = RelaySession(client: client, upstream: upstream) { [unowned self] ended in
                sessions[ObjectIdentifier(ended)] = nil
            }
            if client.isOpen { sessions[ObjectIdentifier(session)] = session }
        }
        try listener.start()
        self.listener = listener
        return listener.address
    }
}
