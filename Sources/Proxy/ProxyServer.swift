import CQLProtocol
import EventLoop
import Posix
import Synchronization
import Transport
import Upstream

public enum ProxyError: Error, CustomStringConvertible {
    case invalidBindAddress(String)
    case bindFailed(String, IOError)

    public var description: String {
        switch self {
        case .invalidBindAddress(let text): return "invalid bind address \(text): a numeric IP address is required"
        case .bindFailed(let address, let error): return "cannot listen on \(address): \(error)"
        }
    }
}

/// The CQL front: one listener per loop on the same port (SO_REUSEPORT), so the kernel spreads clients
/// over the loops and a client's session and its upstream connections share one thread.
public final class ProxyServer: @unchecked Sendable {
    public let config: ProxyConfig
    public let upstream: UpstreamCluster
    private var contexts: [LoopContext] = []
    private var listeners: [TCPListener] = []
    public private(set) var address: SocketAddress?

    public let metrics: ProxyMetrics

    public init(config: ProxyConfig, upstream: UpstreamCluster, metrics: ProxyMetrics? = nil) {
        let metrics = metrics ?? ProxyMetrics(loops: upstream.group.loops.count)
        self.config = config
        self.upstream = upstream
        self.metrics = metrics
        contexts = upstream.group.loops.map {
            LoopContext(loop: $0, config: config, upstream: upstream, metrics: metrics, loopCount: upstream.group.loops.count)
        }
        upstream.onSchemaChange = { [contexts] change in
            for context in contexts {
                let bound = LoopBound(context, loop: context.loop)
                context.loop.execute { bound.value.broadcast(change) }
            }
        }
    }

    /// Binds every loop's listener (the first one picks the port when it is 0) and starts accepting.
    /// Call from one thread, before traffic.
    @discardableResult
    public func start() throws(ProxyError) -> SocketAddress {
        guard var address = SocketAddress(ip: config.bind.host, port: config.bind.port) else {
            throw .invalidBindAddress(config.bind.description)
        }
        for context in contexts {
            let loop = context.loop
            let listener: TCPListener
            do {
                listener = try TCPListener(bindTo: address, loop: loop, reusePort: true) { fd in
                    Self.accept(fd, context: context)
                }
            } catch {
                throw .bindFailed(address.description, error)
            }
            address = listener.address
            listeners.append(listener)
            let bound = LoopBound(listener, loop: loop)
            loop.execute { try? bound.value.start() }
        }
        self.address = address
        return address
    }

    private static func accept(_ fd: consuming FileDescriptor, context: LoopContext) {
        // The limit is per process; each loop holds its share, so no counter is shared between threads.
        let share = max(1, context.config.maxClientConnections / context.loopCount)
        guard context.sessions.count < share else {
            context.metrics.limitReached("client_connections")
            fd.close()
            return
        }
        let connection: Connection
        if let tls = context.config.clientTLS {
            guard let secure = try? TLSConnection(acceptedFD: fd, loop: context.loop, context: tls,
                                                  handshakeTimeout: context.config.clientHandshakeTimeout) else { return }
            connection = secure
        } else {
            guard let plain = try? TCPConnection(fd: fd, loop: context.loop) else { return }
            connection = plain
        }
        let session = ClientSession(connection: connection, context: context)
        context.add(session)
        context.metrics.clientConnected()
    }

    /// Requests in flight over all loops: what a drain waits for.
    public func inFlightCount() async -> Int {
        var total = 0
        for context in contexts {
            let bound = LoopBound(context, loop: context.loop)
            total += await withCheckedContinuation { (c: CheckedContinuation<Int, Never>) in
                context.loop.execute { c.resume(returning: bound.value.inFlightCount) }
            }
        }
        return total
    }

    /// Stops accepting new clients (established ones keep working).
    public func stopAccepting() {
        for listener in listeners {
            let bound = LoopBound(listener, loop: listener.loop)
            listener.loop.execute { bound.value.close() }
        }
    }

    /// Stops accepting and closes every client connection.
    public func stop() {
        stopAccepting()
        for context in contexts {
            let bound = LoopBound(context, loop: context.loop)
            context.loop.execute { bound.value.closeAll() }
        }
    }
}
