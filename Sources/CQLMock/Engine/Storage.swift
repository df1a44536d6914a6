import Foundation
import CQLProtocol

/// A stored row: one serialized value per table column (aligned with `TableDef.columns`). `marker` is the
/// row marker INSERT writes: a row with a marker lives even when all its regular cells are null.
struct StoredRow: Sendable {
    var values: [[UInt8]?]
    var marker: Bool
}

struct Partition: Sendable {
    var key: [UInt8]
    var token: Int64
    var statics: [[UInt8]?]?          // full-width; only static columns used
    var rows: [StoredRow] = []        // sorted by clustering order
}

/// The data of one table. Partitions hash by serialized key; token order (what a scan returns, as in
/// Cassandra) is computed lazily because inserts vastly outnumber full scans in benchmarks.
struct TableData: Sendable {
    var partitions: [[UInt8]: Partition] = [:]
    private var order: [(token: Int64, key: [UInt8])]?

    mutating func sortedKeys() -> [(token: Int64, key: [UInt8])] {
        if let o = order { return o }
        let o = partitions.values.map { ($0.token, $0.key) }.sorted {
            $0.0 != $1.0 ? $0.0 < $1.0 : ValueOrder.bytes($0.1, $1.1) < 0
        }
        order = o
        return o
    }

    mutating func removePartition(_ key: [UInt8]) {
        if partitions.removeValue(forKey: key) != nil { order = nil }
    }

    mutating func partitionForWrite(_ key: [UInt8]) -> Partition {
        if let p = partitions[key] { return p }
        order = nil
        return Partition(key: key, token: Murmur3.token(key), statics: nil)
    }

    mutating func clear() { partitions = [:]; order = nil }
}

extension TableDef {
    /// The partition key as Cassandra serializes it: the value itself, or for a composite key each
    /// component as [short length][bytes][0] (what the driver's routing key is, and what the token hashes).
    func partitionKeyBytes(_ parts: [[UInt8]]) -> [UInt8] {
        if parts.count == 1 { return parts[0] }
        var out: [UInt8] = []
        for p in parts {
            out.append(UInt8(truncatingIfNeeded: p.count >> 8)); out.append(UInt8(truncatingIfNeeded: p.count))
            out.append(contentsOf: p); out.append(0)
        }
        return out
    }

    /// Compares the clustering of a row against clustering values (a prefix allowed), in stored order
    /// (DESC columns reversed).
    func compareClustering(_ row: [[UInt8]?], _ ck: [[UInt8]?]) -> Int {
        for (n, ci) in clustering.enumerated() where n < ck.count {
            var c = ValueOrder.compare(row[ci], ck[n], columns[ci].type.dataType)
            if columns[ci].descending { c = -c }
            if c != 0 { return c }
        }
        return 0
    }

    /// Index of the row with exactly clustering `ck`, or where it would be inserted.
    func findRow(_ rows: [StoredRow], _ ck: [[UInt8]?]) -> (index: Int, found: Bool) {
        var lo = 0, hi = rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let c = compareClustering(rows[mid].values, ck)
            if c == 0 { return (mid, true) }
            if c < 0 { lo = mid + 1 } else { hi = mid }
        }
        return (lo, false)
    }

    /// A row is alive when it has its marker or any non-null regular cell.
    func isLive(_ r: StoredRow) -> Bool {
        if r.marker { return true }
        for (i, c) in columns.enumerated() where c.kind == .regular && r.values[i] != nil { return true }
        return false
    }
}
