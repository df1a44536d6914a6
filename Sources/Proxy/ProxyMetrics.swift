import CQLProtocol
import Metrics

/// The proxy's metrics, through swift-metrics (the executable bootstraps a Prometheus backend). Handles are
/// made once here, per label value, so the data path only increments: no label lookup per request.
public final class ProxyMetrics: Sendable {
    private let requestsByOpcode: [Counter]
    /// Not a swift-metrics Timer: see `LatencyHistogram`. The /metrics handler emits it next to the registry.
    public let requestDuration: LatencyHistogram
    private let retryCounter: Counter
    private let clientConnections: Meter
    private let bytesIn: Counter
    private let bytesOut: Counter
    private let preparedStatements: Gauge
    private let clientTLSFailures: Counter

    /// `loops`: how many event loops record (one histogram shard each).
    public init(loops: Int = 1) {
        requestsByOpcode = (0..<Self.opcodeSlots).map { code in
            let name = Opcode(rawValue: UInt8(code)).map { "\($0)".uppercased() } ?? "UNKNOWN"
            return Counter(label: "cql_proxy_requests_total", dimensions: [("opcode", name)])
        }
        requestDuration = LatencyHistogram(name: "cql_proxy_request_duration_seconds", shards: loops)
        retryCounter = Counter(label: "cql_proxy_retries_total")
        clientConnections = Meter(label: "cql_proxy_client_connections")
        bytesIn = Counter(label: "cql_proxy_client_bytes_received_total")
        bytesOut = Counter(label: "cql_proxy_client_bytes_sent_total")
        preparedStatements = Gauge(label: "cql_proxy_prepared_statements")
        clientTLSFailures = Counter(label: "cql_proxy_tls_handshake_failures_total", dimensions: [("side", "client")])
    }

    /// Opcodes 0 to 0x0F by name, the rest as UNKNOWN.
    static let opcodeSlots = 0x11

    /// Counts arrive in batches from each loop's `LoopCounters`.
    func requests(opcode: Int, count: Int) { requestsByOpcode[opcode].increment(by: count) }

    func bytes(received: Int, sent: Int) {
        if received > 0 { bytesIn.increment(by: received) }
        if sent > 0 { bytesOut.increment(by: sent) }
    }

    func retried() { retryCounter.increment() }
    func clientConnected() { clientConnections.increment() }
    func clientDisconnected() { clientConnections.decrement() }
    func preparedCacheSize(_ count: Int) { preparedStatements.record(count) }
    func clientTLSFailed() { clientTLSFailures.increment() }

    /// A configured limit was hit (`client_connections`, `in_flight_per_client`, `client_idle`).
    func limitReached(_ limit: String) {
        Counter(label: "cql_proxy_limit_reached_total", dimensions: [("limit", limit)]).increment()
    }

    /// "0x2200", as the spec writes codes.
    static func hex(_ code: ErrorCode) -> String {
        let digits = String(UInt32(bitPattern: code.rawValue), radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Errors sent to clients, by code: made on first use (error codes are few, and errors are rare).
    func error(code: ErrorCode) {
        Counter(label: "cql_proxy_errors_total", dimensions: [("code", Self.hex(code))]).increment()
    }
}

