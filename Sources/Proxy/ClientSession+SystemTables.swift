import CQLProtocol
import Foundation
import Posix
import Upstream

/// SELECTs on system.local, system.peers and friends, answered from the proxy's own view.
extension ClientSession {
    func answerSystemSelect(_ select: SystemSelect, stream: StreamID) {
        let tables = SystemTables(config: context.config, info: context.upstream.state.info,
                                  localAddress: connection.localAddress?.ip ?? "127.0.0.1")
        let table: VirtualTable
        switch select.table {
        case .local: table = tables.local()
        case .peers: table = tables.peers()
        case .peersV2:
            // Drivers fall back to system.peers on this error, which keeps them on the columns we serve.
            reply(.error(ErrorMessage(code: .invalid, message: "unconfigured table peers_v2")), stream: stream)
            return
        default:
            table = SystemTables.legacy(select.table) ?? VirtualTable(name: select.table.rawValue, columns: [], rows: [])
        }
        switch Projection.apply(select.selectors, to: table) {
        case .success(let result):
            let specs = result.columns.map { ColumnSpec(keyspace: "system", table: table.name, name: $0.name, type: $0.type) }
            do {
                let rows = try result.rows.map { row in try zip(row, result.columns).map { try $0.0.encode(as: $0.1.type) } }
                let metadata = RowsMetadata(columns: specs, globalTableSpec: TableSpec(keyspace: "system", table: table.name))
                reply(.result(.rows(Rows(metadata: metadata, rows: rows))), stream: stream)
            } catch {
                reply(.error(.serverError("Could not encode \(table.name): \(error)")), stream: stream)
            }
        case .failure(let message):
            reply(.error(ErrorMessage(code: .invalid, message: message.text)), stream: stream)
        }
    }
}

/// Applies a selector list (`*`, columns, aliases, count(*), now()) to a virtual table.
enum Projection {
    struct Failure: Error { let text: String }

    static func apply(_ selectors: [SystemSelect.Selector], to table: VirtualTable) -> Result<VirtualTable, Failure> {
        if selectors == [.all] { return .success(table) }
        if selectors.count == 1, case .countAll(let alias) = selectors[0] {
            return .success(VirtualTable(name: table.name, columns: [(alias ?? "count", .bigint)],
                                         rows: [[.int(Int64(table.rows.count))]]))
        }
        var columns: [(name: String, type: DataType)] = []
        var pickers: [([CQLValue]) -> CQLValue] = []
        for selector in selectors {
            switch selector {
            case .all:
                return .failure(Failure(text: "Only column names, aliases, count(*) and now() are supported here"))
            case .column(let name, let alias):
                guard let index = table.columns.firstIndex(where: { $0.name == name }) else {
                    return .failure(Failure(text: "Undefined column name \(name) in table system.\(table.name)"))
                }
                columns.append((alias ?? name, table.columns[index].type))
                pickers.append { $0[index] }
            case .now(let alias):
                let now = TimeUUID.now()
                columns.append((alias ?? "system.now()", .timeuuid))
                pickers.append { _ in .uuid(now) }
            case .countAll:
                return .failure(Failure(text: "count(*) cannot be mixed with other selectors here"))
            }
        }
        let rows = table.rows.map { row in pickers.map { $0(row) } }
        return .success(VirtualTable(name: table.name, columns: columns, rows: rows))
    }
}

/// Version-1 (time-based) UUIDs, as CQL's now() returns.
enum TimeUUID {
    static func now() -> UUID {
        // 100 ns intervals since 1582-10-15.
        let timestamp = UInt64(Date().timeIntervalSince1970 * 10_000_000) &+ 0x01B2_1DD2_1381_4000
        let low = UInt32(truncatingIfNeeded: timestamp)
        let mid = UInt16(truncatingIfNeeded: timestamp >> 32)
        let high = UInt16(truncatingIfNeeded: timestamp >> 48) & 0x0FFF | 0x1000
        let clock = UInt16.random(in: 0...0x3FFF) | 0x8000
        var node = (0..<6).map { _ in UInt8.random(in: 0...255) }
        node[0] |= 0x01   // multicast bit: a random node id, not a MAC
        return UUID(uuid: (UInt8(low >> 24), UInt8(low >> 16 & 0xFF), UInt8(low >> 8 & 0xFF), UInt8(low & 0xFF),
                           UInt8(mid >> 8), UInt8(mid & 0xFF), UInt8(high >> 8), UInt8(high & 0xFF),
                           UInt8(clock >> 8), UInt8(clock & 0xFF), node[0], node[1], node[2], node[3], node[4], node[5]))
    }
}
