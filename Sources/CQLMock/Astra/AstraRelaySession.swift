import EventLoop
import Posix
import Transport

/// One client of the SNI front and its node connection, relayed byte for byte on the loop.
///
/// The node is dialled on the client's first decrypted bytes: only then is the handshake (and so the SNI
/// name) known to us, and a CQL client always speaks first. Until the node answers, the client is paused and
/// its bytes wait in its own read buffer. Back-pressure both ways: a side whose peer's output is backed up
/// stops being read until that output drains. When either side closes, the other is flushed and closed.
final class AstraRelaySession: ConnectionDelegate {
    private let client: TLSConnection
    private let cluster: MockCluster
    private var backend: TCPConnection?
    private var connector: TCPConnector?
    private var dialling = false
    private var clientOpen = true
    private var backendOpen = false
    private let onFinished: (AstraRelaySession) -> Void
    static let connectTimeout = Duration.seconds(5)

    init(client: TLSConnection, cluster: MockCluster, onFinished: @escaping (AstraRelaySession) -> Void) {
        self.client = client
        self.cluster = cluster
        self.onFinished = onFinished
        client.delegate = self
    }

    func closeBoth() {
        connector?.cancel()
        connector = nil
        backend?.close(error: nil)
        client.close(error: nil)
    }

    // MARK: ConnectionDelegate

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        if connection === client {
            if let backend {
                relay(buffer, from: client, to: backend)
            } else {
                client.pauseReading()   // the bytes stay in `buffer`; resumeReading hands them back
                if !dialling { dial() }
            }
        } else if let backend {
            relay(buffer, from: backend, to: client)
        }
    }

    func connectionDidDrain(_ connection: Connection) {
        // `connection`'s output drained: read again from the side feeding it.
        if connection === client { backend?.resumeReading() } else { client.resumeReading() }
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        if connection === client {
            clientOpen = false
            connector?.cancel()
            connector = nil
            backend?.closeAfterFlush()
        } else {
            backendOpen = false
            client.closeAfterFlush()
        }
        if !clientOpen && !backendOpen { onFinished(self) }
    }

    // MARK: Relaying

    private func relay(_ buffer: ReadBuffer, from source: Connection, to sink: Connection) {
        let bytes = buffer.readable
        sink.write(UnsafeRawBufferPointer(bytes))
        buffer.consume(bytes.count)
        if sink.isWriteBackedUp { source.pauseReading() }
    }

    private func dial() {
        dialling = true
        guard let name = client.requestedServerName,
              let node = AstraSNIFront.node(named: name, in: cluster),
              let address = SocketAddress(ip: node.address, port: node.port) else {
            client.close(error: nil)
            return
        }
        var finished = false   // the completion may run before `connect` returns
        let connector = TCPConnector.connect(to: address, on: client.loop, timeout: Self.connectTimeout) { [weak self] result in
            finished = true
            guard let self else { return }
            self.connector = nil
            switch result {
            case .success(let backend):
                guard self.clientOpen else { backend.close(error: nil); return }
                self.backend = backend
                self.backendOpen = true
                backend.delegate = self
                self.client.resumeReading()
            case .failure:
                // A stopped node refuses the connection: the client sees its connection closed, as on Astra.
                self.client.close(error: nil)
            }
        }
        if !finished { self.connector = connector }
    }
}
