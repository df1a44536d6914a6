import ArgumentParser
import Dispatch
import EventLoop
import Glibc
import Posix

/// `cql-bench load`: closed-loop pipelined load, one JSON line of results on stdout.
struct LoadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Keeps --depth requests in flight on each of --connections connections; prints one JSON line.")

    @Option(help: "Server host (numeric or name); with --bundle, the SNI front's (default: from the metadata service).")
    var host: String?
    @Option(help: "Server port (default 9042; with --bundle, from the metadata service).") var port: Int?
    @Option(help: "Client connections.") var connections = 4
    @Option(help: "Requests in flight per connection (pipelined on distinct stream ids).") var depth = 32
    @Option(help: "Measured seconds.") var duration = 5.0
    @Option(help: "Seconds of load before measuring (not counted).") var warmup = 1.0
    @Option(help: "Statement; a single bind marker gets the key (int) cycling over --rows (default: SELECT v FROM bench.<table> WHERE k = ?).")
    var query: String?
    @Option(help: "Table in keyspace bench that --setup creates and the default statement reads.") var table = "kv"
    @Flag(help: "PREPARE the statement on each connection and send EXECUTE instead of QUERY.") var prepared = false
    @Flag(help: "First create keyspace bench, table <table> (k int PRIMARY KEY, v blob) and rows 0..<rows.")
    var setup = false
    @Option(help: "Rows written by --setup, and the range the key cycles over.") var rows = 1000
    @Option(help: "Bytes of each row's value, for --setup.") var valueSize = 100
    @Option(help: "Client event-loop threads (connections are spread over them).") var threads = 1
    @Flag(help: "Open the connections (STARTUP, login) and keep them idle for --duration; no requests.")
    var idle = false
    @OptionGroup var server: ServerOptions
    @Option(help: "Also report CPU per request and RSS of this process (e.g. the proxy), over the window.")
    var cpuPid: Int32?
    @Option(help: "Also report CPU per request of this process (e.g. the node behind the proxy), over the window.")
    var upstreamPid: Int32?

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard (1...32768).contains(depth) else { throw ValidationError("--depth must be 1...32768") }
        guard duration > 0, warmup >= 0 else { throw ValidationError("--duration > 0 and --warmup >= 0") }
        guard (1...Int(Int32.max)).contains(rows) else { throw ValidationError("--rows must be positive") }
        guard valueSize >= 0, threads >= 1 else { throw ValidationError("--value-size >= 0, --threads >= 1") }
        guard statement.bindMarkerCount <= 1 else { throw ValidationError("--query may bind at most one key") }
        guard table.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw ValidationError("--table must be a plain identifier")
        }
        guard !(setup && server.bundle != nil) else {
            throw ValidationError("--setup talks plain CQL: run it against a node's own port, with --username/--password")
        }
        try server.validate()
    }

    private var statement: String { query ?? "SELECT v FROM bench.\(table) WHERE k = ?" }

    func run() throws {
        let dialer: Dialer
        do { dialer = try server.dialer(host: host, port: port) } catch { Self.die("\(error)") }
        if setup {
            do {
                try SchemaSetup(table: table, rows: rows, valueSize: valueSize, credentials: server.credentials)
                    .run(address: dialer.address)
            } catch {
                Self.die("setup failed: \(error)")
            }
        }
        let plan = LoadPlan(statement: statement, prepared: prepared, bindsKey: statement.bindMarkerCount == 1,
                            keyCount: Int32(rows), depth: depth, credentials: server.credentials)
        let stats = try drive(plan: plan, dialer: dialer)
        if stats.disconnects > 0 || stats.unexpected > 0 { Glibc.exit(1) }
    }

    private func drive(plan: LoadPlan, dialer: Dialer) throws -> LoadStats {
        let group = try EventLoopGroup(count: min(threads, connections))
        let latch = ReadyLatch(count: connections)
        let opening = MonotonicClock.now()
        var workers: [LoopBound<LoadWorker>] = []
        var assigned = 0
        for (i, loop) in group.loops.enumerated() {
            let count = connections / group.loops.count + (i < connections % group.loops.count ? 1 : 0)
            let worker = LoopBound(LoadWorker(), loop: loop)
            let first = assigned
            loop.execute { worker.value.start(count: count, firstIndex: first, plan: plan, dialer: dialer,
                                              loop: loop, latch: latch) }
            workers.append(worker)
            assigned += count
        }
        if let failure = latch.wait(seconds: 30 + connections / 100) { Self.die("cannot start: \(failure)") }

        let now = MonotonicClock.now()
        let start = now + Int64((idle ? 0 : warmup) * 1e9)
        let schedule = Schedule(measureStart: start, measureEnd: start + Int64(duration * 1e9))
        if !idle {
            for worker in workers { worker.loop.execute { worker.value.begin(schedule) } }
        }

        Self.sleep(until: schedule.measureStart)
        let serverBefore = cpuPid.flatMap { ProcStat.sample(pid: $0) }
        let upstreamBefore = upstreamPid.flatMap { ProcStat.sample(pid: $0) }
        let clientBefore = ProcStat.sample(pid: getpid())
        Self.sleep(until: schedule.measureEnd)
        let serverAfter = cpuPid.flatMap { ProcStat.sample(pid: $0) }
        let upstreamAfter = upstreamPid.flatMap { ProcStat.sample(pid: $0) }
        let clientAfter = ProcStat.sample(pid: getpid())

        let total = Locked(LoadStats())
        let done = DispatchSemaphore(value: 0)
        for worker in workers {
            worker.loop.execute {
                let stats = worker.value.finish()
                total.withLock { $0.merge(stats) }
                done.signal()
            }
        }
        for _ in workers { done.wait() }
        group.shutdown()
        let stats = total.withLock { $0 }

        var report = LoadReport(stats: stats, seconds: duration)
        report.connections = connections
        report.depth = idle ? 0 : depth
        report.openSeconds = Double(now - opening) / 1e9
        if let a = serverBefore, let b = serverAfter {
            report.serverCPU = (micros: b.cpuMicros - a.cpuMicros, rssKiB: b.rssKiB)
        }
        if let a = upstreamBefore, let b = upstreamAfter { report.upstreamCPUMicros = b.cpuMicros - a.cpuMicros }
        if let a = clientBefore, let b = clientAfter { report.clientCPUMicros = b.cpuMicros - a.cpuMicros }
        print(report.json())
        if let problem = stats.firstProblem { StandardError.write("cql-bench load: first problem: \(problem)\n") }
        return stats
    }

    private static func sleep(until deadline: Int64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }

    static func die(_ message: String) -> Never {
        StandardError.write("cql-bench load: \(message)\n")
        Glibc.exit(1)
    }
}
