import CQLMock
import CQLProtocol
import EventLoop
import Foundation
import Posix
import Proxy
import Testing
import Transport
import Upstream

/// A TLS-terminating relay in front of one in-memory node: what a Cassandra node with
/// client_encryption_options looks like from the proxy.
final class TLSFront: ConnectionDelegate, @unchecked Sendable {
    let loop: EventLoop
    private var listener: TCPListener?
    private var pairs: [ObjectIdentifier: Connection] = [:]
    private var pending: [ObjectIdentifier: [UInt8]] = [:]
    private(set) var port = 0

    init(loop: EventLoop, context: TLSContext, backend: SocketAddress) throws {
        self.loop = loop
        var bound: TCPListener?
        let front = Unmanaged<TLSFront>.passUnretained(self)
        bound = try TCPListener(bindTo: SocketAddress(ip: "127.0.0.1", port: 0)!, loop: loop, reusePort: false) { fd in
            let me = front.takeUnretainedValue()
            guard let client = try? TLSConnection(acceptedFD: fd, loop: loop, context: context) else { return }
            client.delegate = me
            me.pending[ObjectIdentifier(client)] = []
            TCPConnector.connect(to: backend, on: loop, timeout: .seconds(5)) { result in
                guard case .success(let server) = result else { client.close(error: nil); return }
                server.delegate = me
                me.pairs[ObjectIdentifier(client)] = server
                me.pairs[ObjectIdentifier(server)] = client
                if let early = me.pending.removeValue(forKey: ObjectIdentifier(client)), !early.isEmpty { server.write(early) }
            }
        }
        port = bound!.address.port
        listener = bound
        let l = LoopBound(bound!, loop: loop)
        loop.execute { try? l.value.start() }
    }

    func connectionDidRead(_ connection: Connection, buffer: ReadBuffer) {
        let bytes = Array(buffer.readable)
        buffer.consume(bytes.count)
        if let peer = pairs[ObjectIdentifier(connection)] { peer.write(bytes) } else { pending[ObjectIdentifier(connection), default: []] += bytes }
    }

    func connectionDidClose(_ connection: Connection, error: Error?) {
        pairs.removeValue(forKey: ObjectIdentifier(connection))?.close(error: nil)
    }
}

@Suite struct ClusterTLSTests {
    @Test func contactPointsOverTLSWithTheClusterCAAndARefusalWithAnotherCA() async throws {
        let cluster = try MockCluster(nodes: 1)
        defer { cluster.shutdown() }
        let ca = try CertificateAuthority(commonName: "cluster CA")
        let leaf = try ca.issueServerCertificate(dnsNames: ["cassandra.test"], ipAddresses: ["127.0.0.1"])
        let serverContext = try TLSContext(configuration: .server(certificateChain: .pem(leaf.certificatePEM), privateKey: .pem(leaf.privateKeyPEM)))
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let front = try TLSFront(loop: group.loops[0], context: serverContext,
                                 backend: SocketAddress(ip: cluster.node(0).address, port: cluster.port)!)

        func proxy(trusting caPEM: String, ready: Bool) async throws -> (UpstreamCluster, Bool) {
            let tls = UpstreamTLS(context: try TLSContext(configuration: .client(trustRoots: .certificates(.pem(caPEM)),
                                                                                  expectedHostName: "cassandra.test")),
                                  expectedHostName: "cassandra.test")
            let config = UpstreamConfig(contactPoints: [HostPort(host: "127.0.0.1", port: front.port)], port: front.port,
                                        connectTimeout: .seconds(3), tls: tls)
            let upstream = UpstreamCluster(config: config, group: group)
            upstream.start()
            return (upstream, await upstream.waitUntilReady(timeout: ready ? .seconds(30) : .seconds(5)))
        }

        let (good, ready) = try await proxy(trusting: ca.certificatePEM, ready: true)
        #expect(ready, "\(good.lastError ?? "")")
        let server = ProxyServer(config: ProxyConfig(bind: HostPort(host: "127.0.0.1", port: 0)), upstream: good)
        let port = try server.start().port
        let client = try RawCQLClient(port: port)
        try client.startup()
        guard case .result(.rows(let rows)) = try client.query("SELECT keyspace_name FROM system_schema.keyspaces") else {
            Issue.record("query over TLS failed"); return
        }
        #expect(!rows.rows.isEmpty)
        server.stop()
        good.stop()

        let stranger = try CertificateAuthority(commonName: "someone else")
        let (bad, badReady) = try await proxy(trusting: stranger.certificatePEM, ready: false)
        #expect(!badReady)
        #expect(bad.lastError?.contains("certificate verify failed") == true, "\(bad.lastError ?? "nil")")
        bad.stop()
    }
}
