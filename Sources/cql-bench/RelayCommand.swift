import ArgumentParser
import Dispatch
import EventLoop
import Glibc
import Posix

/// `cql-bench relay`: the plain TCP relay baseline, on the same EventLoop/Transport as the proxy.
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Forwards bytes between --listen and --to both ways, with back-pressure; no CQL parsing.",
        discussion: """
            With --tls-bundle, each upstream connection is TLS with the bundle's client certificate and CA, \
            SNI --sni (a node's host id, for the Astra SNI front) and the certificate checked for the bundle's \
            host: plain TCP in, TLS out.
            """)

    @Option(help: "host:port to listen on (port 0 picks one; the bound address is printed).")
    var listen: String
    @Option(help: "host:port to connect each accepted client to.") var to: String
    @Option(help: "Event-loop threads (each with its own SO_REUSEPORT listener).") var workers = 1
    @Option(help: "Secure-connect bundle: originate TLS to --to with its client certificate.") var tlsBundle: String?
    @Option(help: "With --tls-bundle: the server name to send (an Astra node's host id).") var sni: String?

    func run() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        guard let listenAddress = Self.address(listen), let upstreamAddress = Self.address(to) else {
            throw ValidationError("--listen and --to must be host:port")
        }
        guard (tlsBundle == nil) == (sni == nil) else { throw ValidationError("--tls-bundle and --sni go together") }
        let upstream: Dialer
        if let tlsBundle, let sni {
            do {
                upstream = try AstraTarget(bundlePath: tlsBundle, sniHost: upstreamAddress.ip,
                                           sniPort: upstreamAddress.port, hostID: sni).dialer()
            } catch {
                StandardError.write("cql-bench relay: \(error)\n")
                Glibc.exit(1)
            }
        } else {
            upstream = .plain(upstreamAddress)
        }
        // Blocked before any loop thread starts, so only sigwait below sees the stop signals.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)

        let group = try EventLoopGroup(count: workers)
        let bound = Locked<[Result<SocketAddress, IOError>]>([])
        let started = DispatchSemaphore(value: 0)
        var bindTo = listenAddress
        // Held here for the life of the process: the listeners refer to their workers without owning them.
        var relayWorkers: [LoopBound<RelayWorker>] = []
        for loop in group.loops {
            let worker = LoopBound(RelayWorker(), loop: loop)
            relayWorkers.append(worker)
            let address = bindTo
            loop.execute {
                let result = Result { () throws(IOError) in
                    try worker.value.listen(on: address, to: upstream, loop: loop, reusePort: group.loops.count > 1)
                }
                bound.withLock { $0.append(result) }
                started.signal()
            }
            // With port 0, the first listener picks the port and the others share it.
            started.wait()
            guard case .success(let actual) = bound.withLock({ $0.last! }) else { break }
            bindTo = actual
        }
        for result in bound.withLock({ $0 }) {
            if case .failure(let error) = result {
                StandardError.write("cql-bench relay: cannot listen on \(listen): \(error)\n")
                Glibc.exit(1)
            }
        }
        StandardError.write("relay listening on \(bindTo) -> \(upstream.summary), \(workers) worker(s)\n")
        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        withExtendedLifetime(relayWorkers) { Glibc.exit(0) }
    }

    private static func address(_ text: String) -> SocketAddress? {
        guard let hp = HostPort(parsing: text, defaultPort: 9042, defaultHost: "127.0.0.1") else { return nil }
        return try? hp.resolve().first
    }
}
