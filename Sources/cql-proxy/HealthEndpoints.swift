import EventLoop
import Foundation
import HTTP
import Prometheus
import Proxy
import Synchronization
import Upstream

/// /liveness and /readiness exactly as the Go proxy serves them (plus /livez, /readyz), and /metrics.
/// Readiness: 503 before the upstream was ever reached, 200 while it is, still 200 during an outage
/// shorter than --readiness-timeout, 503 after that and while draining.
struct HealthEndpoints {
    let upstream: UpstreamCluster
    let readinessTimeout: Duration
    let drain: DrainState
    let registry: PrometheusCollectorRegistry?
    /// Metrics kept outside the registry for speed (emitted after it).
    var histograms: [LatencyHistogram] = []

    func router() -> HTTPRouter {
        var router = HTTPRouter()
        let live: @Sendable (HTTPRequest) -> HTTPResponse = { _ in .text("ok") }
        router.get("/liveness", live)
        router.get("/livez", live)
        let ready: @Sendable (HTTPRequest) -> HTTPResponse = { [self] _ in readiness() }
        router.get("/readiness", ready)
        router.get("/readyz", ready)
        if let registry {
            router.get("/metrics") { [histograms] _ in
                var buffer: [UInt8] = []
                registry.emit(into: &buffer)
                for histogram in histograms { histogram.emit(into: &buffer) }
                var response = HTTPResponse(status: 200, body: buffer)
                response.headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
                return response
            }
        }
        return router
    }

    func readiness() -> HTTPResponse {
        let state = upstream.state
        let outage: Duration
        if let since = state.outageSince {
            outage = .nanoseconds(MonotonicClock.now() - since)
        } else {
            outage = .zero
        }
        // Ready means a client's first request finds an upstream connection on whichever loop takes it.
        let neverReached = state.info == nil || !state.poolsWarm
        let ok = !drain.isDraining && !neverReached && (state.connected || outage < readinessTimeout)
        let body = "{\"OutageDuration\":\"\(GoDuration.format(state.connected ? .zero : outage))\"}"
        return .json(body, status: ok ? 200 : 503)
    }
}

/// Set once SIGTERM/SIGINT arrived: readiness then fails so load balancers stop sending new clients.
final class DrainState: Sendable {
    private let flag = Atomic<Bool>(false)
    var isDraining: Bool { flag.load(ordering: .relaxed) }
    func begin() { flag.store(true, ordering: .relaxed) }
}
