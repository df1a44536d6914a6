import EventLoop
import Posix
import Transport

/// Astra's SNI proxy: one TLS port (mutual TLS) in front of every node. The client names the node it wants
/// by its host id in the TLS server name; the front refuses unknown names during the handshake
/// (`unrecognized_name`), then relays the decrypted stream to that node's plain CQL port byte for byte.
///
/// `init` binds (any thread, so the port is known); `start`, `stop` and everything else run on `loop`.
final class AstraSNIFront: @unchecked Sendable {
    let loop: EventLoop
    let address: SocketAddress
    private let cluster: MockCluster
    private let context: TLSContext
    private let listener: TCPListener
    private var sessions: [ObjectIdentifier: AstraRelaySession] = [:]
    private var stopped = false

    init(loop: EventLoop, cluster: MockCluster, certificates: AstraCertificates) throws {
        context = try TLSContext(configuration: .server(
            certificateChain: .pem(certificates.server.certificatePEM),
            privateKey: .pem(certificates.server.privateKeyPEM),
            trustRoots: .certificates(.pem(certificates.caPEM)),
            requireClientCertificate: true,
            serverNameHandler: { name in
                // Runs during the handshake: a name that is no node's host id never reaches a node.
                guard let name, Self.node(named: name, in: cluster) != nil else { return .reject }
                return .accept
            }))
        let box = WeakFront()
        listener = try TCPListener(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: loop, reusePort: false) { fd in
            box.front?.accept(fd)   // without a front, fd closes as it goes out of scope
        }
        self.loop = loop
        self.cluster = cluster
        self.address = listener.address
        box.front = self
    }

    /// The node whose host id is `name` (compared lower-case: the driver sends `str(uuid)`, which is).
    static func node(named name: String, in cluster: MockCluster) -> MockNode? {
        let wanted = name.lowercased()
        return cluster.allNodes.first { $0.hostID.uuidString.lowercased() == wanted }
    }

    func start() throws(IOError) {
        loop.assertInLoop()
        guard !stopped else { return }
        try listener.start()
    }

    /// Closes the listener and every relayed connection.
    func stop() {
        loop.assertInLoop()
        guard !stopped else { return }
        stopped = true
        listener.close()
        for session in Array(sessions.values) { session.closeBoth() }
        sessions.removeAll()
    }

    /// Relayed client connections open now (handshaking ones included).
    var sessionCount: Int {
        loop.assertInLoop()
        return sessions.count
    }

    private func accept(_ fd: consuming FileDescriptor) {
        guard !stopped else { return }
        let client: TLSConnection
        do {
            client = try TLSConnection(acceptedFD: fd, loop: loop, context: context)
        } catch {
            return
        }
        let session = AstraRelaySession(client: client, cluster: cluster) { [weak self] session in
            self?.sessions[ObjectIdentifier(session)] = nil
        }
        sessions[ObjectIdentifier(session)] = session
    }
}

private final class WeakFront {
    weak var front: AstraSNIFront?
}
