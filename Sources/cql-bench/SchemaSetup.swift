import CQLProtocol
import Posix

/// Creates bench.<table> (k int PRIMARY KEY, v blob) with rows 0..<rows, each value `valueSize` bytes.
struct SchemaSetup {
    let table: String
    let rows: Int
    let valueSize: Int
    let credentials: Credentials?

    func run(address: SocketAddress) throws(BenchError) {
        var client = try BlockingClient(address: address)
        try client.startup(credentials: credentials)
        _ = try client.roundTrip(query(
            "CREATE KEYSPACE IF NOT EXISTS bench WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"))
        _ = try client.roundTrip(query("CREATE TABLE IF NOT EXISTS bench.\(table) (k int PRIMARY KEY, v blob)"))
        let insert = "INSERT INTO bench.\(table) (k, v) VALUES (?, ?)"
        for k in 0..<rows {
            let value = (0..<valueSize).map { UInt8(truncatingIfNeeded: $0 &+ k) }
            _ = try client.roundTrip(query(insert, [.bytes(Self.int32(Int32(k))), .bytes(value)]))
        }
    }

    private func query(_ text: String, _ values: [BoundValue] = []) -> RequestMessage {
        .query(QueryRequest(query: text, parameters: QueryParameters(consistency: .one, values: values)))
    }

    private static func int32(_ v: Int32) -> [UInt8] {
        let u = UInt32(bitPattern: v)
        return [UInt8(u >> 24), UInt8(u >> 16 & 0xFF), UInt8(u >> 8 & 0xFF), UInt8(u & 0xFF)]
    }
}
