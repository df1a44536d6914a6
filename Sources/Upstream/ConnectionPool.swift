import CQLProtocol
import EventLoop
import Foundation

/// The upstream connections of one loop for one protocol version: `connectionsPerHost` per node, opened
/// eagerly, reopened with exponential backoff and jitter. Only its loop touches it, so no locks.
public final class ConnectionPool {
    public let loop: EventLoop
    public let version: ProtocolVersion
    private let config: UpstreamConfig
    private var hosts: [UUID: HostSlot] = [:]
    /// The slots in the cluster's order: `pick` walks this array, no hashing per request.
    private var order: [HostSlot] = []
    private var cursor = 0
    /// Every open connection, nodes interleaved (each node's first, then each node's second, ...), for the
    /// requests that may go anywhere: their round robin walks this and touches no slot or array. Unmanaged:
    /// the slots own the connections, and `rebuildRing` runs whenever a slot's connections change. (The walk
    /// over slots cost three retain/release pairs and 90 instructions per request.)
    private var ring = UnsafeMutablePointer<Unmanaged<UpstreamConnection>>.allocate(capacity: 0)
    private var ringCount = 0
    private var ringCursor = 0
    private var readyWaiters: [() -> Void] = []
    private var isShutDown = false

    final class HostSlot {
        var host: UpstreamHost
        var connections: [UpstreamConnection] = []
        var connecting = 0
        var failures = 0
        var retry: TimerHandle?
        var removed = false
        init(host: UpstreamHost) { self.host = host }
    }

    private let preparedCache: PreparedStatementCache

    public init(loop: EventLoop, version: ProtocolVersion, config: UpstreamConfig, preparedCache: PreparedStatementCache) {
        self.loop = loop
        self.version = version
        self.config = config
        self.preparedCache = preparedCache
    }

    public var readyConnectionCount: Int { hosts.values.reduce(0) { $0 + $1.connections.count } }

    /// Per node: how many connections are open (for tests, metrics, readiness).
    public var connectionsByHost: [UUID: Int] { hosts.mapValues { $0.connections.count } }

    /// Adopts the control connection's view of the cluster: new nodes get connections, gone ones lose theirs.
    public func update(hosts newHosts: [UpstreamHost]) {
        loop.assertInLoop()
        guard !isShutDown else { return }
        let ids = Set(newHosts.map(\.hostID))
        for (id, slot) in hosts where !ids.contains(id) {
            slot.removed = true
            if let retry = slot.retry { loop.cancel(retry) }
            for connection in slot.connections { connection.close(.connectionClosed("node left the cluster")) }
            hosts[id] = nil
        }
        for host in newHosts {
            if let slot = hosts[host.hostID] {
                let moved = slot.host.address != host.address
                slot.host = host
                if moved { for c in slot.connections { c.close(.connectionClosed("node moved")) } }
                if host.isUp && slot.failures > 0, let retry = slot.retry {
                    // The cluster says it is back: try now instead of waiting out the backoff.
                    loop.cancel(retry)
                    slot.retry = nil
                    fill(slot)
                }
            } else {
                let slot = HostSlot(host: host)
                hosts[host.hostID] = slot
                fill(slot)
            }
        }
        order = newHosts.compactMap { hosts[$0.hostID] }
        rebuildRing()
    }

    /// Runs `body` once some connection is ready (at once if one is).
    public func whenReady(_ body: @escaping () -> Void) {
        if readyConnectionCount > 0 { body() } else { readyWaiters.append(body) }
    }

    /// Round-robin over nodes; on a node, a connection already in the wanted keyspace is preferred. A request
    /// that may go anywhere (`.independent`, no node to avoid) takes the next connection of the ring instead,
    /// so such requests spread over every connection of every node.
    /// `avoiding` (a node that just failed this request) is used only when no other node has a connection.
    public func pick(for ordering: KeyspaceOrdering, avoiding: UUID? = nil) -> UpstreamConnection? {
        if avoiding == nil, case .independent = ordering { return pickAnyUnretained()?.takeUnretainedValue() }
        if let avoiding, let other = pick(for: ordering, skipping: avoiding) { return other }
        return pick(for: ordering, skipping: nil)
    }

    private func pick(for ordering: KeyspaceOrdering, skipping: UUID?) -> UpstreamConnection? {
        let n = order.count
        guard n > 0 else { return nil }
        var index = cursor < n ? cursor : 0
        for _ in 0..<n {
            let slot = order[index]
            index = index + 1 == n ? 0 : index + 1   // no division per request
            guard !slot.connections.isEmpty, skipping == nil || slot.host.hostID != skipping else { continue }
            cursor = index
            var best: UpstreamConnection?
            for connection in slot.connections where connection.hasFreeStream {
                if connection.isImmediate(for: ordering) { return connection }
                if best == nil || connection.inFlight < best!.inFlight { best = connection }
            }
            if let best { return best }
        }
        return nil
    }

    /// The next connection of the ring that is ready and has a free stream id: where a request that may go
    /// anywhere goes. Unretained, for the session's data path: valid while the pool's node keeps the
    /// connection, that is until the connection closes (which `UpstreamConnection.send` never does by itself).
    public func pickAnyUnretained() -> Unmanaged<UpstreamConnection>? {
        let n = ringCount
        var i = ringCursor
        for _ in 0..<n {
            if i >= n { i = 0 }
            let candidate = ring[i]
            i += 1
            // A connection being closed stays in the ring until its `onClose`; it is not ready by then.
            if candidate._withUnsafeGuaranteedRef({ $0.isReady && $0.hasFreeStream }) {
                ringCursor = i
                return candidate
            }
        }
        return nil
    }

    private func rebuildRing() {
        let connections = order.map(\.connections)
        let total = connections.reduce(0) { $0 + $1.count }
        ring.deallocate()
        ring = .allocate(capacity: total)
        ringCount = 0
        var rank = 0
        while ringCount < total {
            for list in connections where rank < list.count {
                ring[ringCount] = Unmanaged.passUnretained(list[rank])
                ringCount += 1
            }
            rank += 1
        }
        if ringCursor >= ringCount { ringCursor = 0 }
    }

    deinit { ring.deallocate() }

    /// Closes everything and stops reconnecting.
    public func shutdown() {
        isShutDown = true
        for slot in hosts.values {
            if let retry = slot.retry { loop.cancel(retry) }
            for connection in slot.connections { connection.close(.connectionClosed("proxy shutting down")) }
        }
        hosts.removeAll()
        order.removeAll()
        rebuildRing()
    }

    private func fill(_ slot: HostSlot) {
        while slot.connections.count + slot.connecting < config.connectionsPerHost {
            slot.connecting += 1
            // Strong captures in this file: the pool and its slots live as long as the cluster, the one-shot
            // callbacks end, `close` drops `onClose`, and `shutdown`/node removal cancel the retry timers. A weak
            // reference would put every retain of the pool and its slots, several per request, on the
            // runtime's slow path.
            UpstreamConnection.open(host: slot.host, version: version, config: config, loop: loop) { result in
                self.opened(result, slot: slot)
            }
        }
    }

    private func opened(_ result: Result<UpstreamConnection, UpstreamError>, slot: HostSlot) {
        slot.connecting -= 1
        switch result {
        case .success(let connection):
            guard !slot.removed, !isShutDown else { connection.close(.connectionClosed("no longer needed")); return }
            slot.failures = 0
            // A node that is new or came back knows none of the clients' statements: teach it before it
            // gets EXECUTEs, instead of letting every client take an UNPREPARED round trip.
            let statements = preparedCache.mostRecent(config.preparedWarmup)
            slot.connecting += 1
            connection.prepareAll(statements) {
                slot.connecting -= 1
                self.adopt(connection, slot: slot)
            }
        case .failure:
            guard !slot.removed, !isShutDown else { return }
            slot.failures += 1
            scheduleRetry(slot)
        }
    }

    private func adopt(_ connection: UpstreamConnection, slot: HostSlot) {
        guard !connection.isClosed else { scheduleRetry(slot); return }
        guard !slot.removed, !isShutDown else { connection.close(.connectionClosed("no longer needed")); return }
        slot.connections.append(connection)
        rebuildRing()
        connection.onClose = { closed, _ in
            slot.connections.removeAll { $0 === closed }
            self.rebuildRing()
            if !slot.removed && !self.isShutDown { self.scheduleRetry(slot) }
        }
        let waiters = readyWaiters
        readyWaiters.removeAll()
        for waiter in waiters { waiter() }
    }

    private func scheduleRetry(_ slot: HostSlot) {
        guard slot.retry == nil else { return }
        let delay = Backoff.delay(attempt: slot.failures, base: config.reconnectBase, max: config.reconnectMax)
        slot.retry = loop.schedule(after: delay) {
            slot.retry = nil
            self.fill(slot)
        }
    }
}

/// Exponential backoff with full jitter: spreads reconnect storms after an outage.
public enum Backoff {
    public static func delay(attempt: Int, base: Duration, max: Duration) -> Duration {
        let exponent = Swift.min(attempt, 20)
        let ceiling = Swift.min(base * (1 << exponent), max)
        let fraction = Double.random(in: 0.5...1.0)
        return ceiling * fraction
    }
}
