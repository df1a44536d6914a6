import Posix
import CQLProtocol
import EventLoop
import Foundation

/// The upstream as the proxy sees it: a control connection on the first loop, and on every loop one
/// connection pool per protocol version clients may speak (v3 up to what the cluster accepts).
/// Topology flows from the control connection to each loop's pools through `execute`; nothing on the
/// data path takes a lock.
public final class UpstreamCluster: @unchecked Sendable {
    public let group: EventLoopGroup
    private let config: UpstreamConfig
    private let control: ControlConnection
    /// Per loop index, per version; each dictionary is touched only on its loop.
    /// One box per loop, fixed at init: a loop mutates only its own box, never the shared array (mutating
    /// `[[...]]` in place from several loops was a data race, found by ThreadSanitizer).
    private let pools: [LoopPools]

    private final class LoopPools {
        var byVersion = PoolsByVersion()
    }
    private let snapshot = Locked<Snapshot>(Snapshot())

    public struct Snapshot: Sendable {
        public var info: ClusterInfo?
        public var hosts: [UpstreamHost] = []
        public var connected = false
        public var outageSince: Int64? = MonotonicClock.now()
        public var lastError: String?
        /// Every loop has had a ready connection (for the newest version): until then a client could be refused
        /// for want of one, so readiness waits for it (once; later outages are `connected`'s business).
        public var poolsWarm = false
        fileprivate var warmPools: Set<Int> = []
    }

    /// Every statement clients prepared, for transparent re-preparing.
    public let preparedCache: PreparedStatementCache

    /// A SCHEMA_CHANGE to pass on to clients. Called on the control connection's loop.
    public var onSchemaChange: ((SchemaChange) -> Void)?

    public init(config: UpstreamConfig, group: EventLoopGroup) {
        self.config = config
        self.group = group
        control = ControlConnection(config: config, loop: group.loops[0])
        preparedCache = PreparedStatementCache(capacity: config.preparedCacheSize)
        pools = group.loops.map { _ in LoopPools() }
    }

    public var state: Snapshot { snapshot.withLock { $0 } }

    public func start() {
        let control = LoopBound(control, loop: group.loops[0])
        control.loop.execute { [self] in
            let c = control.value
            // Strong captures, cleared by `stop`: a weak reference would give the cluster a side table, and the
            // data path retains it (the pool lookup) on every request, then on the runtime's slow path.
            c.onTopology = { hosts, info in self.topologyChanged(hosts, info) }
            c.onStateChange = { up in
                let error = control.value.lastError.map { "\($0)" }
                self.snapshot.withLock {
                    $0.connected = up
                    $0.outageSince = up ? nil : ($0.outageSince ?? MonotonicClock.now())
                    $0.lastError = error
                }
            }
            c.onSchemaChange = { change in self.onSchemaChange?(change) }
            c.start()
        }
    }

    public func stop() {
        let control = LoopBound(control, loop: group.loops[0])
        control.loop.execute {
            let c = control.value
            c.stop()
            c.onTopology = nil
            c.onStateChange = nil
            c.onSchemaChange = nil
        }
        for loop in group.loops {
            let bound = LoopBound(self, loop: loop)
            loop.execute { for pool in bound.value.pools[loop.index].byVersion.values { pool.shutdown() } }
        }
    }

    /// This loop's pool for `version`, if the cluster speaks it. Call on `loop`.
    public func pool(on loop: EventLoop, version: ProtocolVersion) -> ConnectionPool? {
        loop.assertInLoop()
        return pools[loop.index].byVersion[version.rawValue]
    }

    /// The last control-connection error, for a clear message when startup cannot reach the cluster.
    public var lastError: String? { snapshot.withLock { $0.lastError } }

    private func topologyChanged(_ hosts: [UpstreamHost], _ info: ClusterInfo) {
        snapshot.withLock {
            $0.info = info
            $0.hosts = hosts
        }
        let versions = (ProtocolVersion.v3.rawValue...max(ProtocolVersion.v3.rawValue, info.protocolVersion))
            .map { ProtocolVersion(rawValue: $0) }
            .filter(\.isSupportedFraming)
        for loop in group.loops {
            let bound = LoopBound(self, loop: loop)
            loop.execute {
                let cluster = bound.value
                for version in versions {
                    let pool = cluster.pools[loop.index].byVersion[version.rawValue]
                        ?? ConnectionPool(loop: loop, version: version, config: cluster.config,
                                          preparedCache: cluster.preparedCache)
                    cluster.pools[loop.index].byVersion[version.rawValue] = pool
                    pool.update(hosts: hosts)
                    // The highest version's pools are the ones drivers end up on; an older version the cluster
                    // happens to refuse must not hold readiness back.
                    guard version == versions.last else { continue }
                    let loopIndex = loop.index, expected = cluster.group.loops.count
                    pool.whenReady {
                        cluster.snapshot.withLock { s in
                            s.warmPools.insert(loopIndex)
                            if s.warmPools.count >= expected { s.poolsWarm = true }
                        }
                    }
                }
            }
        }
    }

    /// Waits until every loop has at least one ready connection for each version (or `timeout` passes).
    public func waitUntilReady(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await allPoolsReady() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    private func allPoolsReady() async -> Bool {
        guard snapshot.withLock({ $0.connected }) else { return false }
        for loop in group.loops {
            let bound = LoopBound(self, loop: loop)
            let ready = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                loop.execute {
                    let pools = bound.value.pools[loop.index].byVersion
                    c.resume(returning: !pools.isEmpty && pools.values.allSatisfy { $0.readyConnectionCount > 0 })
                }
            }
            if !ready { return false }
        }
        return true
    }

    /// Open connections per node, summed over loops and versions (tests, metrics).
    public func connectionCounts() async -> [UUID: Int] {
        var total: [UUID: Int] = [:]
        for loop in group.loops {
            let bound = LoopBound(self, loop: loop)
            let counts = await withCheckedContinuation { (c: CheckedContinuation<[UUID: Int], Never>) in
                loop.execute {
                    var sum: [UUID: Int] = [:]
                    for pool in bound.value.pools[loop.index].byVersion.values {
                        sum.merge(pool.connectionsByHost, uniquingKeysWith: +)
                    }
                    c.resume(returning: sum)
                }
            }
            total.merge(counts, uniquingKeysWith: +)
        }
        return total
    }
}

/// A loop's pools indexed by protocol version: the per-request lookup is an array index, not a hash.
struct PoolsByVersion {
    private var slots = [ConnectionPool?](repeating: nil, count: 8)

    subscript(version: UInt8) -> ConnectionPool? {
        get { Int(version) < slots.count ? slots[Int(version)] : nil }
        set { slots[Int(version)] = newValue }
    }

    var values: [ConnectionPool] { slots.compactMap { $0 } }
    var isEmpty: Bool { values.isEmpty }
}
