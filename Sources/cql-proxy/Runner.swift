import CShims
import Dispatch
import EventLoop
import Foundation
import Glibc
import Logging
import Proxy
import Upstream

/// Wires loops, upstream and server; runs until SIGINT/SIGTERM, then closes and exits 0.
struct Runner {
    let settings: Settings

    func runUntilSignalled() -> Never {
        // Blocked before any thread starts, so every thread inherits the mask and only sigwait sees them.
        _ = cshim_block_termination_signals()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = settings.debug ? .debug : .info
            return handler
        }
        let log = Logger(label: "cql-proxy")
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(count: settings.workers)
        } catch {
            Diagnostics.fail("cannot start event loops: \(error)", code: 1)
        }
        let upstream = UpstreamCluster(config: settings.upstream, group: group)
        let server = ProxyServer(config: settings.proxy, upstream: upstream)
        log.info("connecting to \(settings.upstream.contactPoints.map(\.description).joined(separator: ","))")
        upstream.start()
        waitForUpstream(upstream, log: log)
        let address: String
        do {
            address = try server.start().description
        } catch {
            Diagnostics.fail("\(error)", code: 1)
        }
        let hosts = upstream.state.hosts.count
        log.info("proxy listening on \(address), \(hosts) upstream node(s), \(settings.workers) worker(s)")
        waitForTerminationSignal()
        log.info("shutting down")
        server.stop()
        upstream.stop()
        group.shutdown()
        exit(0)
    }

    /// Blocks until every loop has an upstream connection. Authentication errors are final (retrying a
    /// wrong password only locks accounts); network errors are logged and retried.
    private func waitForUpstream(_ upstream: UpstreamCluster, log: Logger) {
        var lastLogged: String?
        while true {
            let ready = DispatchSemaphore(value: 0)
            let outcome = ReadyBox()
            Task {
                outcome.value = await upstream.waitUntilReady(timeout: .seconds(2))
                ready.signal()
            }
            ready.wait()
            if outcome.value { return }
            if let error = upstream.lastError {
                if error.contains("authentication") { Diagnostics.fail("upstream: \(error)", code: 1) }
                if error != lastLogged {
                    log.warning("upstream not reachable yet: \(error)")
                    lastLogged = error
                }
            }
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

private final class ReadyBox: @unchecked Sendable {
    var value = false
}
