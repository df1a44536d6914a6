import Testing
@testable import Proxy

@Suite struct LatencyHistogramTests {
    @Test("shards add up into cumulative Prometheus buckets, a sum in seconds and a count")
    func exposition() {
        let histogram = LatencyHistogram(name: "t_seconds", shards: 2)
        histogram.record(nanoseconds: 50_000, shard: 0)          // ≤ 100 µs
        histogram.record(nanoseconds: 100_000, shard: 1)         // ≤ 100 µs (bounds are inclusive)
        histogram.record(nanoseconds: 3_000_000, shard: 1)       // ≤ 5 ms
        histogram.record(nanoseconds: 60_000_000_000, shard: 0)  // beyond 10 s: +Inf only
        let (counts, sum) = histogram.snapshot()
        #expect(counts.reduce(0, +) == 4)
        #expect(counts.first == 2)
        #expect(counts.last == 1)
        #expect(sum == 60_003_150_000)

        var buffer: [UInt8] = []
        histogram.emit(into: &buffer)
        let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(lines.first == "# TYPE t_seconds histogram")
        #expect(lines.contains("t_seconds_bucket{le=\"0.0001\"} 2"))
        #expect(lines.contains("t_seconds_bucket{le=\"0.0025\"} 2"))
        #expect(lines.contains("t_seconds_bucket{le=\"0.005\"} 3"))
        #expect(lines.contains("t_seconds_bucket{le=\"10.0\"} 3"))
        #expect(lines.contains("t_seconds_bucket{le=\"+Inf\"} 4"))
        #expect(lines.contains("t_seconds_sum 60.00315"))
        #expect(lines.contains("t_seconds_count 4"))
    }

    @Test("a shard index beyond the count wraps instead of trapping")
    func shardWraps() {
        let histogram = LatencyHistogram(name: "w", shards: 1)
        histogram.record(nanoseconds: 1, shard: 5)
        #expect(histogram.snapshot().counts.reduce(0, +) == 1)
    }
}

@Suite struct LatencyBucketTests {
    @Test("the bit-length lookup picks the bucket a linear scan would, at and around every bound and power of two")
    func bucketMatchesLinearScan() {
        func linear(_ ns: Int64) -> Int {
            var bucket = 0
            while bucket < LatencyHistogram.bounds.count && ns > LatencyHistogram.bounds[bucket] { bucket += 1 }
            return bucket
        }
        var samples: [Int64] = [Int64.min, -1, 0, 1, Int64.max]
        for bound in LatencyHistogram.bounds { samples += [bound - 1, bound, bound + 1] }
        for shift in 0..<63 { samples += [(Int64(1) << shift) - 1, Int64(1) << shift, (Int64(1) << shift) + 1] }
        for ns in samples { #expect(LatencyHistogram.bucket(ns) == linear(ns), "at \(ns) ns") }
    }

    @Test("the first candidate of each bit length is the bucket of that length's least value")
    func firstCandidateTable() {
        #expect(LatencyHistogram.firstCandidate.count == 65)
        for length in 1..<64 {
            let least = Int64(1) << (length - 1)
            let expected = LatencyHistogram.bounds.firstIndex { $0 >= least } ?? LatencyHistogram.bounds.count
            #expect(Int(LatencyHistogram.firstCandidate[length]) == expected, "bit length \(length)")
        }
    }
}
