import Foundation
import CQLProtocol

/// What a write does to one cell. Collection operations read the current value back, as Cassandra merges
/// cells on read.
enum CellOp: Sendable {
    case set([UInt8]?)
    case counterAdd(Int64)
    case add(CQLValue)                     // list append, set union, map merge
    case prepend(CQLValue)
    case subtract(CQLValue)                // list/set elements, or map keys
    case setElement(CQLValue, CQLValue)    // list index or map key; .null value removes
    case removeElement(CQLValue)
}

/// A bound of a clustering slice (on the column after the equality prefix).
struct SliceBound: Sendable {
    var value: [UInt8]
    var inclusive: Bool
}

/// One planned write to one partition, applied only after every statement of a batch planned cleanly.
struct Mutation: Sendable {
    enum Kind: Sendable {
        case write(ck: [[UInt8]?], cells: [(Int, CellOp)], marker: Bool)
        case deleteRows(prefix: [[UInt8]?], lower: SliceBound?, upper: SliceBound?)
    }
    var table: TableDef
    var partitionKey: [UInt8]
    var pkValues: [[UInt8]]
    var kind: Kind
}

extension EngineState {
    mutating func apply(_ m: Mutation) throws(EngineError) {
        let t = m.table
        guard keyspaces[t.keyspace]?.tables[t.name]?.id == t.id else { throw .invalid("unconfigured table \(t.name)") }
        var data = tableData.removeValue(forKey: t.id) ?? TableData()
        defer { tableData[t.id] = data }
        var p = data.partitionForWrite(m.partitionKey)
        switch m.kind {
        case let .write(ck, cells, marker):
            let regular = cells.filter { t.columns[$0.0].kind != .static }
            let statics = cells.filter { t.columns[$0.0].kind == .static }
            if !statics.isEmpty {
                var s = p.statics ?? [[UInt8]?](repeating: nil, count: t.columns.count)
                for (i, op) in statics { s[i] = try EngineState.applyOp(op, s[i], t.columns[i]) }
                p.statics = s.contains { $0 != nil } ? s : nil
            }
            if !regular.isEmpty || marker || t.clustering.isEmpty {
                guard ck.count == t.clustering.count else {
                    throw .invalid("Some clustering keys are missing: \(t.clustering.dropFirst(ck.count).map { t.columns[$0].name }.joined(separator: ", "))")
                }
                let (idx, found) = t.findRow(p.rows, ck)
                var row: StoredRow
                if found {
                    row = p.rows[idx]
                } else {
                    var vals = [[UInt8]?](repeating: nil, count: t.columns.count)
                    for (n, i) in t.partitionKey.enumerated() { vals[i] = m.pkValues[n] }
                    for (n, i) in t.clustering.enumerated() { vals[i] = ck[n] }
                    row = StoredRow(values: vals, marker: false)
                }
                for (i, op) in regular { row.values[i] = try EngineState.applyOp(op, row.values[i], t.columns[i]) }
                row.marker = row.marker || marker
                let live = t.isLive(row)
                switch (found, live) {
                case (true, true): p.rows[idx] = row
                case (true, false): p.rows.remove(at: idx)
                case (false, true): p.rows.insert(row, at: idx)
                case (false, false): break
                }
            }
        case let .deleteRows(prefix, lower, upper):
            if prefix.isEmpty && lower == nil && upper == nil {
                data.removePartition(m.partitionKey)
                return
            }
            let next = prefix.count < t.clustering.count ? t.clustering[prefix.count] : nil
            p.rows.removeAll { r in
                guard t.compareClustering(r.values, prefix) == 0 else { return false }
                guard let ci = next else { return true }
                let type = t.columns[ci].type.dataType
                if let lo = lower {
                    let c = ValueOrder.compare(r.values[ci], lo.value, type)
                    if c < 0 || (c == 0 && !lo.inclusive) { return false }
                }
                if let hi = upper {
                    let c = ValueOrder.compare(r.values[ci], hi.value, type)
                    if c > 0 || (c == 0 && !hi.inclusive) { return false }
                }
                return true
            }
        }
        if p.rows.isEmpty && p.statics == nil {
            data.removePartition(m.partitionKey)
        } else {
            data.partitions[m.partitionKey] = p
        }
    }

    static func applyOp(_ op: CellOp, _ cur: [UInt8]?, _ col: ColumnInfo) throws(EngineError) -> [UInt8]? {
        let type = col.type
        func emptyIsNull(_ v: CQLValue) throws(EngineError) -> [UInt8]? {
            switch v {
            case let .list(x) where x.isEmpty && type.isMultiCell: return nil
            case let .map(x) where x.isEmpty && type.isMultiCell: return nil
            default: return try Binder.serialize(Binder.normalize(v, type), type)
            }
        }
        func current() throws(EngineError) -> CQLValue {
            guard let c = cur else { return type.dataType.isMapType ? .map([]) : .list([]) }
            return try Binder.deserialize(c, type)
        }
        func enc(_ v: CQLValue, _ t: CQLType) throws(EngineError) -> [UInt8] { try Binder.serialize(v, t) ?? [] }
        switch op {
        case let .set(v):
            if let b = v, type.isMultiCell, b == [0, 0, 0, 0] { return nil }
            return v
        case let .counterAdd(d):
            let now = cur.map { Int64(bitPattern: ValueOrder.be64($0)) } ?? 0
            let r = UInt64(bitPattern: now &+ d)
            return (0..<8).map { UInt8(truncatingIfNeeded: r >> (56 - 8 * UInt64($0))) }
        case let .add(v):
            switch (try current(), v) {
            case let (.list(a), .list(b)): return try emptyIsNull(.list(a + b))
            case let (.map(a), .map(b)): return try emptyIsNull(.map(a + b))
            default: throw .invalid("Invalid operation for column \(col.name)")
            }
        case let .prepend(v):
            guard case let .list(a) = try current(), case let .list(b) = v else {
                throw .invalid("Invalid operation (\(col.name) = ? + \(col.name)) for non list column \(col.name)")
            }
            return try emptyIsNull(.list(b + a))
        case let .subtract(v):
            guard case let .list(remove) = v else { throw .invalid("Invalid operation for column \(col.name)") }
            switch (try current(), type) {
            case let (.list(a), .list(e, _)), let (.list(a), .set(e, _)):
                var gone = Set<[UInt8]>()
                for x in remove { gone.insert(try enc(x, e)) }
                var keep: [CQLValue] = []
                for x in a where !gone.contains(try enc(x, e)) { keep.append(x) }
                return try emptyIsNull(.list(keep))
            case let (.map(a), .map(k, _, _)):
                var gone = Set<[UInt8]>()
                for x in remove { gone.insert(try enc(x, k)) }
                var keep: [(key: CQLValue, value: CQLValue)] = []
                for x in a where !gone.contains(try enc(x.key, k)) { keep.append(x) }
                return try emptyIsNull(.map(keep))
            default: throw .invalid("Invalid operation for column \(col.name)")
            }
        case let .setElement(k, v):
            switch (try current(), type) {
            case let (.list(a), .list):
                guard case let .int(i) = k else { throw .invalid("Invalid list index for \(col.name)") }
                guard i >= 0 && i < a.count else {
                    throw .invalid("List index \(i) out of bound, list has size \(a.count)")
                }
                var out = a
                if case .null = v { out.remove(at: Int(i)) } else { out[Int(i)] = v }
                return try emptyIsNull(.list(out))
            case let (.map(a), .map(kt, _, _)):
                let kb = try enc(k, kt)
                var keep: [(key: CQLValue, value: CQLValue)] = []
                for x in a where try enc(x.key, kt) != kb { keep.append(x) }
                if case .null = v {} else { keep.append((k, v)) }
                return try emptyIsNull(.map(keep))
            default:
                throw .invalid("Invalid operation (\(col.name)[?] = ?) for non list/map column \(col.name)")
            }
        case let .removeElement(k):
            switch type {
            case .list: return try applyOp(.setElement(k, .null), cur, col)
            case .map: return try applyOp(.setElement(k, .null), cur, col)
            case .set: return try applyOp(.subtract(.list([k])), cur, col)
            default: throw .invalid("Invalid element deletion for non collection column \(col.name)")
            }
        }
    }
}

extension DataType {
    var isMapType: Bool { if case .map = self { return true }; return false }
}
