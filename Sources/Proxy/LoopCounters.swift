import EventLoop

/// One loop's request and byte counts, kept as plain integers on the data path and handed to the shared
/// swift-metrics counters once per loop iteration, before the loop sleeps. Three atomic increments through
/// an existential per request (a counter per opcode, bytes in, bytes out) become three per iteration, which
/// at 128 frames per read is nothing. /metrics is at most one iteration behind.
final class LoopCounters {
    private let metrics: ProxyMetrics
    private let requests = UnsafeMutablePointer<Int>.allocate(capacity: ProxyMetrics.opcodeSlots)
    private var bytesIn = 0
    private var bytesOut = 0
    private var dirty = false

    init(metrics: ProxyMetrics) {
        self.metrics = metrics
        requests.initialize(repeating: 0, count: ProxyMetrics.opcodeSlots)
    }

    deinit { requests.deallocate() }

    @inline(__always)
    func request(opcode: UInt8, bytes: Int) {
        requests[Int(min(opcode, UInt8(ProxyMetrics.opcodeSlots - 1)))] &+= 1
        bytesIn &+= bytes
        dirty = true
    }

    @inline(__always)
    func sent(bytes: Int) {
        bytesOut &+= bytes
        dirty = true
    }

    /// Pushes what was counted since the last call into the shared counters. On the loop's thread.
    func flush() {
        guard dirty else { return }
        dirty = false
        for opcode in 0..<ProxyMetrics.opcodeSlots where requests[opcode] > 0 {
            metrics.requests(opcode: opcode, count: requests[opcode])
            requests[opcode] = 0
        }
        metrics.bytes(received: bytesIn, sent: bytesOut)
        bytesIn = 0
        bytesOut = 0
    }
}
