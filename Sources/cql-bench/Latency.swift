/// Every latency sample of a run, in nanoseconds; percentiles by sorting (exact, and cheap at these counts).
struct LatencySamples: Sendable {
    private(set) var nanos: [Int64] = []

    mutating func reserve(_ n: Int) { nanos.reserveCapacity(n) }

    @inline(__always)
    mutating func record(_ ns: Int64) { nanos.append(ns) }

    mutating func merge(_ other: LatencySamples) { nanos.append(contentsOf: other.nanos) }

    var count: Int { nanos.count }

    /// Percentiles (0...100) in microseconds, nearest-rank; zeros when there is no sample.
    func percentilesMicros(_ ps: [Double]) -> [Double] {
        guard !nanos.isEmpty else { return ps.map { _ in 0 } }
        let sorted = nanos.sorted()
        return ps.map { p in
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            let index = min(max(rank - 1, 0), sorted.count - 1)
            return Double(sorted[index]) / 1000
        }
    }
}
