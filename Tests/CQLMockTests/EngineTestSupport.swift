import Foundation
import Testing
import CQLProtocol
@testable import CQLMock

let testNode = NodeInfo(hostID: UUID(uuidString: "11111111-1111-1111-1111-111111111111")!, address: "127.0.0.1",
                        port: 9042, dataCenter: "dc1", rack: "rack1", tokens: ["-9223372036854775808"])
let testPeer = NodeInfo(hostID: UUID(uuidString: "22222222-2222-2222-2222-222222222222")!, address: "127.0.0.2",
                        port: 9042, dataCenter: "dc1", rack: "rack1", tokens: ["0"])

/// A decoded result set.
struct Rows {
    var columns: [ResultColumn]
    var values: [[CQLValue]]
    var pagingState: [UInt8]?

    var names: [String] { columns.map(\.name) }
    func column(_ name: String) -> [CQLValue] {
        guard let i = columns.firstIndex(where: { $0.name == name }) else { return [] }
        return values.map { $0[i] }
    }
    /// Row `r` as name -> value.
    subscript(_ r: Int) -> [String: CQLValue] {
        Dictionary(zip(names, values[r]), uniquingKeysWith: { a, _ in a })
    }
}

extension Engine {
    static func test() -> Engine {
        let e = Engine(clusterName: "Test Cluster")
        e.setTopology([testNode, testPeer])
        return e
    }

    @discardableResult
    func run(_ q: String, ks: String? = nil, _ values: [CQLValue] = [], types: [DataType] = [],
             pageSize: Int32? = nil, paging: [UInt8]? = nil) throws -> EngineResult {
        var raw: [[UInt8]?] = []
        for (v, t) in zip(values, types) { raw.append(try v.encode(as: t)) }
        return try execute(q, keyspace: ks, options: QueryOptions(values: raw, pageSize: pageSize, pagingState: paging),
                           node: testNode)
    }

    func rows(_ q: String, ks: String? = nil, _ values: [CQLValue] = [], types: [DataType] = [],
              pageSize: Int32? = nil, paging: [UInt8]? = nil) throws -> Rows {
        let r = try run(q, ks: ks, values, types: types, pageSize: pageSize, paging: paging)
        guard case let .rows(cols, rows, state) = r else {
            Issue.record("expected rows, got \(r)")
            return Rows(columns: [], values: [], pagingState: nil)
        }
        var decoded: [[CQLValue]] = []
        for row in rows {
            #expect(row.count == cols.count)
            var out: [CQLValue] = []
            for (b, c) in zip(row, cols) { out.append(try CQLValue.decode(b, as: c.type, version: .v4)) }
            decoded.append(out)
        }
        return Rows(columns: cols, values: decoded, pagingState: state)
    }

    /// The EngineError a query throws (or nil).
    func error(_ q: String, ks: String? = nil) -> EngineError? {
        do {
            _ = try execute(q, keyspace: ks, options: QueryOptions(), node: testNode)
            return nil
        } catch {
            return error
        }
    }

    func setUpKeyspace(_ ks: String = "ks") throws {
        try run("CREATE KEYSPACE \(ks) WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
    }
}
