import CQLProtocol
import EventLoop
import Upstream

/// What the sessions of one loop share: configuration, the upstream, and who listens for events.
/// Touched only on its loop.
final class LoopContext {
    let loop: EventLoop
    let config: ProxyConfig
    let upstream: UpstreamCluster
    let metrics: ProxyMetrics
    /// Request and byte counts of this loop, flushed into `metrics` before the loop sleeps.
    let counts: LoopCounters
    /// This loop's shard of the request-duration histogram.
    let latency: LatencyHistogram.Shard
    let loopCount: Int
    /// `config.unsupportedWriteConsistencies` is not empty: asked per request, without touching the set.
    let rewritesWriteConsistency: Bool
    private(set) var sessions: [ObjectIdentifier: ClientSession] = [:]

    init(loop: EventLoop, config: ProxyConfig, upstream: UpstreamCluster, metrics: ProxyMetrics, loopCount: Int) {
        self.loop = loop
        self.loopCount = loopCount
        self.metrics = metrics
        self.config = config
        rewritesWriteConsistency = !config.unsupportedWriteConsistencies.isEmpty
        self.upstream = upstream
        counts = LoopCounters(metrics: metrics)
        latency = metrics.requestDuration.shard(for: loop.index)
        let bound = LoopBound(counts, loop: loop)
        loop.execute { loop.addBeforeSleep { bound.value.flush() } }
    }

    func add(_ session: ClientSession) { sessions[ObjectIdentifier(session)] = session }
    func remove(_ session: ClientSession) { sessions[ObjectIdentifier(session)] = nil }

    /// Requests forwarded and not yet answered, over this loop's sessions (for draining).
    var inFlightCount: Int { sessions.values.reduce(0) { $0 + $1.inFlight.count } }

    /// Passes a SCHEMA_CHANGE on to every session that registered for it, in that session's version.
    func broadcast(_ change: SchemaChange) {
        for session in sessions.values where session.isStarted && session.wantsEvent("SCHEMA_CHANGE") {
            session.sendEvent(.schemaChange(change))
        }
    }

    func closeAll() {
        for session in sessions.values { session.close() }
        sessions.removeAll()
    }
}
