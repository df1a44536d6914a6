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

    @Option(help: "Server host (numeric or name).") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 9042
    @Option(help: "Client connections.") var connections = 4
    @Option(help: "Requests in flight per connection (pipelined on distinct stream ids).") var depth = 32
    @Option(help: "Measured seconds.") var duration = 5.0
    @Option(help: "Seconds of load before measuring (not counted).") var warmup = 1.0
    @Option(help: "Statement; a single bind marker gets the key (int) cycling over --rows.")
    var query = "SELECT v FROM bench.kv WHERE k = ?"
    @Flag(help: "PREPARE the statement on each connection and send EXECUTE instead of QUERY.") var prepared = false
    @Flag(help: "First create keyspace bench, table kv (k int PRIMARY KEY, v blob) and rows 0..<rows.")
    var setup = false
    @Option(help: "Rows written by --setup, and the range the key cycles over.") var rows = 1000
    @Option(help: "Bytes of each row's value, for --setup.") var valueSize = 100
    @Option(help: "Client event-loop threads (connections are spread over them).") var threads = 1
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
        guard query.bindMarkerCount <= 1 else { throw ValidationError("--query may bind at most one key") }
    }

    func run() throws {
        guard let address = try? HostPort(host: host, port: port).resolve().first else {
            Self.exit(withError: ValidationError("cannot resolve \(host)"))
        }
        if setup {
            do { try SchemaSetup(rows: rows, valueSize: valueSize).run(address: address) } catch {
                Self.die("setup failed: \(error)")
            }
        }
        let plan = LoadPlan(statement: query, prepared: prepared, bindsKey: query.bindMarkerCount == 1,
                            keyCount: Int32(rows), depth: depth)
        let stats = try drive(plan: plan, address: address)
        if stats.disconnects > 0 || stats.unexpected > 0 { Glibc.exit(1) }
    }

    private func drive(plan: LoadPlan, address: SocketAddress) throws -> LoadStats {
        let group = try EventLoopGroup(count: min(threads, connections))
        let latch = ReadyLatch(count: connections)
        var workers: [LoopBound<LoadWorker>] = []
        var assigned = 0
        for (i, loop) in group.loops.enumerated() {
            let count = connections / group.loops.count + (i < connections % group.loops.count ? 1 : 0)
            let worker = LoopBound(LoadWorker(), loop: loop)
            let first = assigned
            loop.execute { worker.value.start(count: count, firstIndex: first, plan: plan, address: address,
                                              loop: loop, latch: latch) }
            workers.append(worker)
            assigned += count
        }
        if let failure = latch.wait(seconds: 30) { Self.die("cannot start: \(failure)") }

        let now = MonotonicClock.now()
        let start = now + Int64(warmup * 1e9)
        let schedule = Schedule(measureStart: start, measureEnd: start + Int64(duration * 1e9))
        for worker in workers { worker.loop.execute { worker.value.begin(schedule) } }

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
        report.depth = depth
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
