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
            ("p50_us", Self.number(p[0])),
            ("p99_us", Self.number(p[1])),
            ("p999_us", Self.number(p[2])),
            ("requests", String(requests)),
            ("errors", String(stats.errors)),
            ("unexpected", String(stats.unexpected)),
            ("disconnects", String(stats.disconnects)),
            ("connections", String(connections)),
            ("depth", String(depth)),
            ("duration_s", Self.number(seconds)),
        ]
        if let openSeconds { fields.append(("open_s", String(format2(openSeconds)))) }
        if let serverCPU {
            fields.append(("server_cpu_us_per_req", Self.cpuNumber(Self.perRequest(serverCPU.micros, requests))))
            fields.append(("server_rss_kib", String(serverCPU.rssKiB)))
        }
        if let upstreamCPUMicros {
            fields.append(("upstream_cpu_us_per_req", Self.cpuNumber(Self.perRequest(upstreamCPUMicros, requests))))
        }
        if let clientCPUMicros {
            fields.append(("client_cpu_us_per_req", Self.cpuNumber(Self.perRequest(clientCPUMicros, requests))))
        }
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private static func perRequest(_ micros: Int64, _ requests: Int) -> Double {
        requests > 0 ? Double(micros) / Double(requests) : 0
    }

    /// Two decimals, plain notation.
    private func format2(_ x: Double) -> String {
        let hundredths = Int64((x * 100).rounded())
        let tail = hundredths % 100
        return "\(hundredths / 100).\(tail < 10 ? "0" : "")\(tail)"
    }

    /// CPU per request with three decimals: at 0.4 µs a tenth is 25%, too coarse for the ratios built on it
    /// (the 10 ms tick resolution of /proc over a 2 s window is still about 1% at these rates).
    static func cpuNumber(_ x: Double) -> String {
        let thousandths = Int64((x * 1000).rounded())
        let sign = thousandths < 0 ? "-" : ""
        let a = abs(thousandths)
        let tail = a % 1000
        return "\(sign)\(a / 1000)." + String(repeating: "0", count: tail < 10 ? 2 : tail < 100 ? 1 : 0) + "\(tail)"
    }

    /// One decimal, plain notation.
    static func number(_ x: Double) -> String {
        let tenths = Int64((x * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        let a = abs(tenths)
        return "\(sign)\(a / 10).\(a % 10)"
    }
}
