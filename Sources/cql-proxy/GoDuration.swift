import Foundation

/// Go's time.ParseDuration format ("10s", "1m30s", "500ms", "1.5h", "0"), which the Go proxy's users have
/// in their compose files and manifests.
enum GoDuration {
    static func parse(_ text: String) -> Duration? {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s == "0" { return .zero }
        guard !s.isEmpty else { return nil }
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !$0.isNumber && $0 != "." }
            s = s.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1e-9
            case "us", "µs", "μs": scale = 1e-6
            case "ms": scale = 1e-3
            case "s": scale = 1
            case "m": scale = 60
            case "h": scale = 3600
            default: return nil
            }
            total += value * scale
        }
        let nanoseconds = (total * 1e9).rounded()
        guard nanoseconds < 9.2e18 else { return nil }
        return .nanoseconds(Int64(negative ? -nanoseconds : nanoseconds))
    }
}

extension GoDuration {
    /// Go's Duration.String(): "0s", "850ms", "1.5s", "2m3.25s", "1h0m5s".
    static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        var nanos = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        if nanos == 0 { return "0s" }
        let sign = nanos < 0 ? "-" : ""
        nanos = abs(nanos)
        func trimmed(_ value: Int64, _ unit: Int64) -> String {
            let whole = value / unit, fraction = value % unit
            guard fraction != 0 else { return String(whole) }
            var digits = String(fraction)
            digits = String(repeating: "0", count: String(unit).count - 1 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            return "\(whole).\(digits)"
        }
        if nanos < 1_000 { return "\(sign)\(nanos)ns" }
        if nanos < 1_000_000 { return "\(sign)\(trimmed(nanos, 1_000))µs" }
        if nanos < 1_000_000_000 { return "\(sign)\(trimmed(nanos, 1_000_000))ms" }
        let hours = nanos / 3_600_000_000_000
        let minutes = nanos / 60_000_000_000 % 60
        let rest = nanos % 60_000_000_000
        var out = sign
        if hours > 0 { out += "\(hours)h" }
        if hours > 0 || minutes > 0 { out += "\(minutes)m" }
        return out + trimmed(rest, 1_000_000_000) + "s"
    }
}
