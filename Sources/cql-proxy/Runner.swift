import CShims
import Dispatch
import EventLoop
import Foundation
import Glibc
import HTTP
import Logging
import Metrics
import Posix
import Prometheus
import Proxy
import Transport
import Upstream

/// Wires loops, upstream, CQL and health listeners; runs until SIGINT/SIGTERM, then drains and exits 0.
/// The listeners come up before the upstream is reached (readiness says when it is), unlike the Go proxy,
/// which exits when its first connection fails.
struct Runner {
    let settings: Settings

    func runUntilSignalled() -> Never {
        // Blocked before any thread starts, so every thread inherits the mask and only sigwait sees them.
        _ = cshim_block_termination_signals()
        bootstrapLogging()
        let log = Logger(label: "cql-proxy")
        for warning in settings.warnings { log.warning("\(warning)") }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(count: settings.workers)
        } catch {
            Diagnostics.fail("cannot start event loops: \(error)", code: 1)
        }
        var upstreamConfig = settings.upstream
        if let astra = settings.astra {
            do {
                upstreamConfig = try AstraSetup.configure(astra, upstream: upstreamConfig, log: log)
            } catch {
                Diagnostics.fail("astra: \(error)", code: 1)
            }
        }
        let upstream = UpstreamCluster(config: upstreamConfig, group: group)
        let server = ProxyServer(config: settings.proxy, upstream: upstream)
        let drain = DrainState()
        let address: String
        do {
            address = try server.start().description
        } catch {
            Diagnostics.fail("\(error)", code: 1)
        }
        // Held for the life of the process: the loop keeps only weak references to its servers.
        let health = settings.healthCheck
            ? startHealthServer(upstream: upstream, drain: drain, registry: registry,
                                histograms: [server.metrics.requestDuration], loop: group.loops[0], log: log)
            : nil
        let target = settings.astra != nil ? "Astra" : settings.upstream.contactPoints.map(\.description).joined(separator: ",")
        log.info("proxy listening on \(address); connecting to \(target)")
        upstream.start()
        watchStartup(upstream, log: log)

        waitForTerminationSignal()
        log.info("shutting down: draining in-flight requests for up to \(GoDuration.format(settings.drainTimeout))")
        drain.begin()
        server.stopAccepting()
        let left = waitForDrain(server)
        if left > 0 { log.warning("drain timeout: \(left) request(s) still in flight") }
        server.stop()
        upstream.stop()
        health?.stop()
        group.shutdown()
        exit(0)
    }

    private func bootstrapLogging() {
        let level: Logger.Level = settings.debug ? .debug : .info
        switch settings.logFormat {
        case .text:
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        }
    }

    private func startHealthServer(upstream: UpstreamCluster, drain: DrainState, registry: PrometheusCollectorRegistry,
                                   histograms: [LatencyHistogram], loop: EventLoop, log: Logger) -> HTTPServer {
        let endpoints = HealthEndpoints(upstream: upstream, readinessTimeout: settings.readinessTimeout, drain: drain,
                                        registry: registry, histograms: histograms)
        guard let address = SocketAddress(ip: settings.httpBind.host, port: settings.httpBind.port) else {
            Diagnostics.fail("invalid --http-bind \(settings.httpBind): a numeric IP address is required", code: 2)
        }
        do {
            let http = try HTTPServer(bindTo: address, loop: loop, router: endpoints.router())
            let bound = LoopBound(http, loop: loop)
            loop.execute { try? bound.value.start() }
            log.info("health endpoints on http://\(http.address)")
            return http
        } catch {
            Diagnostics.fail("cannot listen on --http-bind \(settings.httpBind): \(error)", code: 1)
        }
    }

    /// Logs upstream trouble once per distinct error until the first success. A refused login is final:
    /// retrying a wrong password only locks accounts, so the process exits with that one line.
    private func watchStartup(_ upstream: UpstreamCluster, log: Logger) {
        // A serial queue of its own: the handler's state is touched by one run at a time.
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "cql-proxy.startup-watch"))
        let last = LastError()
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200))
        timer.setEventHandler {
            let state = upstream.state
            if state.connected {
                if last.logged != "connected" {
                    log.info("upstream reached: \(state.hosts.count) node(s)")
                    last.logged = "connected"
                }
                return
            }
            guard let error = state.lastError, error != last.logged else { return }
            if state.info == nil && error.contains("authentication") { Diagnostics.fail("upstream: \(error)", code: 1) }
            log.warning("upstream not reachable: \(error)")
            last.logged = error
        }
        timer.resume()
        last.timer = timer
    }

    private func waitForDrain(_ server: ProxyServer) -> Int {
        let deadline = ContinuousClock.now + settings.drainTimeout
        while true {
            let semaphore = DispatchSemaphore(value: 0)
            let count = LastError()
            Task {
                count.inFlight = await server.inFlightCount()
                semaphore.signal()
            }
            semaphore.wait()
            if count.inFlight == 0 || ContinuousClock.now >= deadline { return count.inFlight }
            usleep(20_000)
        }
    }

    private func waitForTerminationSignal() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        var signal: Int32 = 0
        sigwait(&set, &signal)
    }
}

/// Mutable bits the startup watcher and drain loop keep between runs (touched from one queue at a time).
private final class LastError: @unchecked Sendable {
    var logged: String?
    var inFlight = 0
    var timer: DispatchSourceTimer?
}
