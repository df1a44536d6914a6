import Glibc

/// CPU time and resident memory of a process, read from /proc (Linux).
struct ProcStat: Sendable {
    /// utime + stime, in microseconds.
    var cpuMicros: Int64
    /// VmRSS in KiB (0 if unknown).
    var rssKiB: Int64

    /// nil when the process is gone or /proc is unreadable.
    static func sample(pid: Int32) -> ProcStat? {
        guard let stat = readFile("/proc/\(pid)/stat") else { return nil }
        // The command name (field 2) may hold spaces and parentheses: fields are counted after the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        guard fields.count > 12, let utime = Int64(fields[11]), let stime = Int64(fields[12]) else { return nil }
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        let cpu = (utime + stime) * 1_000_000 / max(ticks, 1)
        return ProcStat(cpuMicros: cpu, rssKiB: rss(pid: pid) ?? 0)
    }

    private static func rss(pid: Int32) -> Int64? {
        guard let status = readFile("/proc/\(pid)/status") else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }
        }
        return nil
    }

    /// Reads a whole file (proc files report size 0, so read until EOF).
    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
