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
