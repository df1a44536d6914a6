import CQLMock
import EventLoop
import Posix
import Proxy
import Testing
import Upstream

/// An in-memory cluster with the proxy in front of it, both on free ports, torn down by `stop()`.
final class ProxyHarness: @unchecked Sendable {
    let cluster: MockCluster
    let group: EventLoopGroup
    let upstream: UpstreamCluster
    let server: ProxyServer
    let port: Int

    init(nodes: Int = 3, workers: Int = 2, credentials: (user: String, password: String)? = nil,
         proxy: ProxyConfig = ProxyConfig(bind: HostPort(host: "127.0.0.1", port: 0)),
         requestTimeout: Duration = .seconds(30)) async throws {
        cluster = try MockCluster(nodes: nodes, credentials: credentials)
        group = try EventLoopGroup(count: workers)
        let config = UpstreamConfig(
            contactPoints: [HostPort(host: cluster.contactPoint.host, port: cluster.port)], port: cluster.port,
            credentials: credentials.map { Credentials(username: $0.user, password: $0.password) },
            connectTimeout: .seconds(5), requestTimeout: requestTimeout)
        upstream = UpstreamCluster(config: config, group: group)
        server = ProxyServer(config: proxy, upstream: upstream)
        upstream.start()
        let ready = await upstream.waitUntilReady(timeout: .seconds(15))
        try #require(ready, "upstream never became ready: \(upstream.lastError ?? "no error")")
        port = try server.start().port
    }

    func stop() {
        server.stop()
        upstream.stop()
        group.shutdown()
        cluster.shutdown()
    }
}
