import Astra
import CQLMock
import EventLoop
import Posix
import Proxy
import Testing
import Transport
import Upstream

/// Where the proxy's upstream is in a test: in-memory nodes by contact points, or the same nodes behind
/// the Astra emulator (bundle, metadata service, SNI TLS front, token authentication).
enum UpstreamKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case plain, astra
    var testDescription: String { rawValue }
}

/// An in-memory cluster with the proxy in front of it, both on free ports, torn down by `stop()`.
final class ProxyHarness: @unchecked Sendable {
    let cluster: MockCluster
    let emulator: AstraEmulator?
    let group: EventLoopGroup
    let upstream: UpstreamCluster
    let server: ProxyServer
    let port: Int

    init(nodes: Int = 3, workers: Int = 2, credentials: (user: String, password: String)? = nil,
         proxy: ProxyConfig = ProxyConfig(bind: HostPort(host: "127.0.0.1", port: 0)),
         requestTimeout: Duration = .seconds(30), kind: UpstreamKind = .plain) async throws {
        var config: UpstreamConfig
        switch kind {
        case .plain:
            cluster = try MockCluster(nodes: nodes, credentials: credentials)
            emulator = nil
            config = UpstreamConfig(
                contactPoints: [HostPort(host: cluster.contactPoint.host, port: cluster.port)], port: cluster.port,
                credentials: credentials.map { Credentials(username: $0.user, password: $0.password) },
                connectTimeout: .seconds(5), requestTimeout: requestTimeout)
        case .astra:
            let emulator = try AstraEmulator(nodes: nodes)
            self.emulator = emulator
            cluster = emulator.cluster
            let bundle = try SecureConnectBundle(zipData: emulator.bundleData())
            let metadata = try MetadataClient.fetch(bundle: bundle, timeout: .seconds(10))
            config = UpstreamConfig(
                contactPoints: [], port: metadata.sniProxy.port,
                credentials: Credentials(username: "token", password: emulator.token),
                connectTimeout: .seconds(5), requestTimeout: requestTimeout,
                resolver: AstraResolver(bundle: bundle, timeout: .seconds(10), metadata: metadata),
                tls: UpstreamTLS(context: try TLSContext(configuration: bundle.tlsConfiguration(expectedHostName: bundle.host)),
                                 expectedHostName: bundle.host))
        }
        group = try EventLoopGroup(count: workers)
        upstream = UpstreamCluster(config: config, group: group)
        server = ProxyServer(config: proxy, upstream: upstream)
        upstream.start()
        let ready = await upstream.waitUntilReady(timeout: .seconds(30))
        try #require(ready, "upstream never became ready: \(upstream.lastError ?? "no error")")
        port = try server.start().port
    }

    func stop() {
        server.stop()
        upstream.stop()
        group.shutdown()
        emulator?.stop()
        cluster.shutdown()
    }
}
