import CQLProtocol
import Foundation
import Posix

/// Typed access to the rows of a RESULT, by column name: what the control connection needs from
/// system.local and system.peers.
struct RowReader {
    let rows: Rows
    private let index: [String: Int]

    init(_ rows: Rows) {
        self.rows = rows
        var index: [String: Int] = [:]
        for (i, column) in (rows.metadata.columns ?? []).enumerated() { index[column.name] = i }
        self.index = index
    }

    var count: Int { rows.rows.count }

    func value(_ row: Int, _ column: String) -> CQLValue? {
        guard let i = index[column], let columns = rows.metadata.columns, i < rows.rows[row].count else { return nil }
        return try? CQLValue.decode(rows.rows[row][i], as: columns[i].type)
    }

    func string(_ row: Int, _ column: String) -> String? {
        if case .text(let s)? = value(row, column) { return s }
        return nil
    }

    func uuid(_ row: Int, _ column: String) -> UUID? {
        if case .uuid(let u)? = value(row, column) { return u }
        return nil
    }

    func inet(_ row: Int, _ column: String) -> String? {
        guard case .inet(let bytes)? = value(row, column) else { return nil }
        return SocketAddress.ipString(fromAddressBytes: bytes)
    }

    func inetBytes(_ row: Int, _ column: String) -> [UInt8]? {
        if case .inet(let bytes)? = value(row, column) { return bytes }
        return nil
    }

    func strings(_ row: Int, _ column: String) -> [String] {
        guard case .list(let items)? = value(row, column) else { return [] }
        return items.compactMap { if case .text(let s) = $0 { return s } else { return nil } }
    }
}

extension SocketAddress {
    /// "1.2.3.4" or "::1" from 4 or 16 raw bytes.
    public static func ipString(fromAddressBytes bytes: [UInt8]) -> String? {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return nil }
        let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        let text = groups.joined(separator: ":")
        return SocketAddress(ip: text, port: 0)?.ip
    }
}
