import EventLoop
import Posix
import Transport

/// One client connection and its upstream connection, bytes copied both ways as they arrive. A side whose
/// peer's output is backed up stops reading until that output drains (back-pressure, no unbounded queue).
final class RelaySession: ConnectionDelegate {
    private let client: Connection
    private var upstream: Connection?
    private var connector: TCPConnector?
    private let onEnd: (RelaySession) -> Void

    /// Call on the client's loop. The client is not read until the upstream connection is up; its bytes wait
    /// in its read buffer meanwhile.
    init(client: Connection, upstreamAddress: SocketAddress, onEnd: @escaping (RelaySession) -> Void) {
        self.client = client
        self.onEnd = onEnd
        client.delegate = self
        client.pauseReading()
        connector = TCPConnector.connect(to: upstreamAddress, on: client.loop, timeout: .seconds(5)) {
            [weak self] result in
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
    func listen(on address: SocketAddress, to upstream: SocketAddress, loop: EventLoop, reusePort: Bool)
        throws(IOError) -> SocketAddress
    {
        let listener = try TCPListener(bindTo: address, loop: loop, reusePort: reusePort) { [unowned self] fd in
            guard let client = try? TCPConnection(fd: fd, loop: loop) else { return }
            let session = RelaySession(client: client, upstreamAddress: upstream) { [unowned self] ended in
                sessions[ObjectIdentifier(ended)] = nil
            }
            if client.isOpen { sessions[ObjectIdentifier(session)] = session }
        }
        try listener.start()
        self.listener = listener
        return listener.address
    }
}
