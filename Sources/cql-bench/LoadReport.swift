/// The JSON line `cql-bench load` prints.
struct LoadReport {
    let stats: LoadStats
    let seconds: Double
    var connections = 0
    var depth = 0
    /// Seconds from the first connect to the last connection ready (STARTUP, login, PREPARE).
    var openSeconds: Double?
    /// CPU (utime + stime) of --cpu-pid over the window, and its RSS at the end.
    var serverCPU: (micros: Int64, rssKiB: Int64)?
    var clientCPUMicros: Int64?
    /// CPU of --upstream-pid over the window.
    var upstreamCPUMicros: Int64?

    func json() -> String {
        let requests = stats.completedInWindow
        let p = stats.samples.percentilesMicros([50, 99, 99.9])
        var fields: [(String, String)] = [
            ("rps", String(Int((Double(requests) / seconds).rounded()))),
            ("p50_us", Self.fixed(p[0], decimals: 1)),
            ("p99_us", Self.fixed(p[1], decimals: 1)),
            ("p999_us", Self.fixed(p[2], decimals: 1)),
            ("requests", String(requests)),
            ("errors", String(stats.errors)),
            ("unexpected", String(stats.unexpected)),
            ("disconnects", String(stats.disconnects)),
            ("connections", String(connections)),
            ("depth", String(depth)),
            ("duration_s", Self.fixed(seconds, decimals: 1)),
        ]
        if let openSeconds { fields.append(("open_s", Self.fixed(openSeconds, decimals: 2))) }
        if let serverCPU {
            fields.append(("server_cpu_us_per_req", Self.fixed(Self.perRequest(serverCPU.micros, requests), decimals: 3)))
            fields.append(("server_rss_kib", String(serverCPU.rssKiB)))
        }
        if let upstreamCPUMicros {
            fields.append(("upstream_cpu_us_per_req", Self.fixed(Self.perRequest(upstreamCPUMicros, requests), decimals: 3)))
        }
        if let clientCPUMicros {
            fields.append(("client_cpu_us_per_req", Self.fixed(Self.perRequest(clientCPUMicros, requests), decimals: 3)))
        }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private static func perRequest(_ micros: Int64, _ requests: Int) -> Double {
        requests > 0 ? Double(micros) / Double(requests) : 0
    }

    /// `x` with `decimals` decimals, plain notation. CPU per request gets three: at 0.3 µs a tenth is a third
    /// of the figure (the 10 ms tick resolution of /proc over a 2 s window is still about 1% at these rates).
    static func fixed(_ x: Double, decimals: Int) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let units = Int64((x * scale).rounded())
        let sign = units < 0 ? "-" : ""
        let a = abs(units)
        guard decimals > 0 else { return "\(sign)\(a)" }
        let divisor = Int64(scale)
        let tail = String(a % divisor)
        return "\(sign)\(a / divisor)." + String(repeating: "0", count: decimals - tail.count) + tail
    }
}
