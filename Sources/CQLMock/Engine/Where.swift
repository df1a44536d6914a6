import Foundation
import CQLProtocol

/// A restriction evaluated row by row.
struct Filter: Sendable {
    var column: Int
    var op: RelationOp
    var values: [[UInt8]?]           // one value, or the candidates of IN

    func matches(_ row: [[UInt8]?], _ t: TableDef) throws(EngineError) -> Bool {
        let col = t.columns[column]
        let v = row[column]
        let type = col.type.dataType
        switch op {
        case .eq: return v != nil && ValueOrder.compare(v, values[0], type) == 0
        case .neq: return ValueOrder.compare(v, values[0], type) != 0
        case .in: return v != nil && values.contains { ValueOrder.compare(v, $0, type) == 0 }
        case .lt, .lte, .gt, .gte:
            guard let x = v, let y = values[0] else { return false }
            let c = ValueOrder.compare(x, y, type)
            switch op {
            case .lt: return c < 0
            case .lte: return c <= 0
            case .gt: return c > 0
            default: return c >= 0
            }
        case .contains, .containsKey:
            guard let x = v, let needle = values[0] else { return false }
            let decoded = try Binder.deserialize(x, col.type)
            let elemType: CQLType
            switch (col.type, op) {
            case let (.list(e, _), .contains), let (.set(e, _), .contains): elemType = e
            case let (.map(_, vt, _), .contains): elemType = vt
            case let (.map(kt, _, _), .containsKey): elemType = kt
            default: throw .invalid("Cannot use \(op.rawValue) on non-collection column \(col.name)")
            }
            var elements: [CQLValue] = []
            switch decoded {
            case let .list(xs): elements = xs
            case let .map(ps): elements = op == .containsKey ? ps.map(\.key) : ps.map(\.value)
            default: break
            }
            for e in elements where try Binder.serialize(e, elemType) == needle { return true }
            return false
        }
    }
}

/// A WHERE clause split the way Cassandra plans it: partition keys (when fully given by = / IN), an
/// equality prefix of clustering columns, a slice on the next one, and filters for the rest.
struct WhereAnalysis {
    var partitionCandidates: [[[UInt8]]]?      // per partition key column, when all are restricted by = / IN
    var clusteringEq: [[[UInt8]?]] = []        // per leading clustering column: candidates
    var sliceColumn: Int?
    var lower: SliceBound?
    var upper: SliceBound?
    var filters: [Filter] = []
    var tokenLower: (Int64, inclusive: Bool)?
    var tokenUpper: (Int64, inclusive: Bool)?
    /// Restrictions that are not on the primary key path (Cassandra's "ALLOW FILTERING" cases).
    var needsFiltering = false

    /// Partition keys as serialized bytes plus their components, in the order given (cartesian product).
    func partitionKeys(_ t: TableDef) -> [(key: [UInt8], parts: [[UInt8]])] {
        guard let cands = partitionCandidates else { return [] }
        var combos: [[[UInt8]]] = [[]]
        for c in cands { combos = combos.flatMap { prefix in c.map { prefix + [$0] } } }
        var seen = Set<[UInt8]>()
        var out: [(key: [UInt8], parts: [[UInt8]])] = []
        for parts in combos {
            let k = t.partitionKeyBytes(parts)
            if seen.insert(k).inserted { out.append((k, parts)) }
        }
        return out
    }

    /// Clustering prefixes (cartesian product of the equality candidates).
    var clusteringPrefixes: [[[UInt8]?]] {
        var combos: [[[UInt8]?]] = [[]]
        for c in clusteringEq { combos = combos.flatMap { prefix in c.map { prefix + [$0] } } }
        return combos
    }

    func tokenMatches(_ tok: Int64) -> Bool {
        if let (lo, inc) = tokenLower, tok < lo || (tok == lo && !inc) { return false }
        if let (hi, inc) = tokenUpper, tok > hi || (tok == hi && !inc) { return false }
        return true
    }

    /// Whether a row of a selected partition satisfies the clustering restrictions.
    func clusteringMatches(_ row: [[UInt8]?], _ t: TableDef) -> Bool {
        for (n, cands) in clusteringEq.enumerated() {
            let ci = t.clustering[n]
            let type = t.columns[ci].type.dataType
            if !cands.contains(where: { ValueOrder.compare(row[ci], $0, type) == 0 }) { return false }
        }
        if let ci = sliceColumn {
            let type = t.columns[ci].type.dataType
            guard row[ci] != nil else { return false }
            if let lo = lower {
                let c = ValueOrder.compare(row[ci], lo.value, type)
                if c < 0 || (c == 0 && !lo.inclusive) { return false }
            }
            if let hi = upper {
                let c = ValueOrder.compare(row[ci], hi.value, type)
                if c > 0 || (c == 0 && !hi.inclusive) { return false }
            }
        }
        return true
    }
}

extension EngineState {
    /// The serialized values a relation compares with (the candidates for IN).
    func relationValues(_ r: Relation, _ col: ColumnInfo, _ ctx: Context) throws(EngineError) -> [[UInt8]?] {
        switch r.op {
        case .in:
            switch r.value {
            case let .list(items):
                var out: [[UInt8]?] = []
                for x in items { out.append(try ctx.binder.encode(x, col.type, col.name)) }
                return out
            case let .bind(i):
                let listType = CQLType.list(col.type, frozen: true)
                guard case let .list(items) = try Binder.deserialize(try ctx.binder.bound(i, listType, col.name), listType)
                else { return [] }
                var out: [[UInt8]?] = []
                for x in items { out.append(try Binder.serialize(x, col.type)) }
                return out
            default:
                throw .invalid("Invalid IN relation on \(col.name)")
            }
        case .contains:
            let e: CQLType
            switch col.type {
            case let .list(x, _), let .set(x, _), let .map(_, x, _): e = x
            default: throw .invalid("Cannot use CONTAINS on non-collection column \(col.name)")
            }
            return [try ctx.binder.encode(r.value, e, col.name)]
        case .containsKey:
            guard case let .map(k, _, _) = col.type else { throw .invalid("Cannot use CONTAINS KEY on non-map column \(col.name)") }
            return [try ctx.binder.encode(r.value, k, col.name)]
        default:
            return [try ctx.binder.encode(r.value, col.type, col.name)]
        }
    }

    func analyze(_ rels: [Relation], _ t: TableDef, _ ctx: Context) throws(EngineError) -> WhereAnalysis {
        var a = WhereAnalysis()
        var byColumn: [Int: [(Relation, [[UInt8]?])]] = [:]
        for r in rels {
            if let cols = r.token {
                guard cols == t.partitionKey.map({ t.columns[$0].name }) else {
                    throw .invalid("The token function arguments must be in the partition key order: \(t.partitionKey.map { t.columns[$0].name }.joined(separator: ", "))")
                }
                guard let b = try ctx.binder.encode(r.value, .native(.bigint), "partition key token"), b.count == 8 else {
                    throw .invalid("Invalid null value for partition key token")
                }
                let v = Int64(bitPattern: ValueOrder.be64(b))
                switch r.op {
                case .gt: a.tokenLower = (v, false)
                case .gte: a.tokenLower = (v, true)
                case .lt: a.tokenUpper = (v, false)
                case .lte: a.tokenUpper = (v, true)
                default: a.tokenLower = (v, true); a.tokenUpper = (v, true)
                }
                continue
            }
            guard let i = t.index[r.column] else {
                throw .invalid("Undefined column name \(r.column) in table \(t.keyspace).\(t.name)")
            }
            let vals = try relationValues(r, t.columns[i], ctx)
            byColumn[i, default: []].append((r, vals))
        }
        func isEq(_ list: [(Relation, [[UInt8]?])]?) -> Bool {
            guard let l = list, l.count == 1 else { return false }
            return l[0].0.op == .eq || l[0].0.op == .in
        }
        var used = Set<Int>()
        if !t.partitionKey.isEmpty, t.partitionKey.allSatisfy({ isEq(byColumn[$0]) }) {
            var cands: [[[UInt8]]] = []
            for i in t.partitionKey {
                let vals = byColumn[i]![0].1
                var nonNull: [[UInt8]] = []
                for v in vals {
                    guard let x = v else { throw .invalid("Invalid null value in condition for column \(t.columns[i].name)") }
                    nonNull.append(x)
                }
                cands.append(nonNull)
                used.insert(i)
            }
            a.partitionCandidates = cands
            for ci in t.clustering {
                guard let list = byColumn[ci] else { break }
                if isEq(list) {
                    a.clusteringEq.append(list[0].1)
                    used.insert(ci)
                    continue
                }
                if list.allSatisfy({ [.lt, .lte, .gt, .gte].contains($0.0.op) }) {
                    a.sliceColumn = ci
                    for (r, v) in list {
                        guard let x = v[0] else { throw .invalid("Invalid null value in condition for column \(t.columns[ci].name)") }
                        // bounds are in value order; DESC storage only changes iteration order
                        switch r.op {
                        case .gt: a.lower = SliceBound(value: x, inclusive: false)
                        case .gte: a.lower = SliceBound(value: x, inclusive: true)
                        case .lt: a.upper = SliceBound(value: x, inclusive: false)
                        default: a.upper = SliceBound(value: x, inclusive: true)
                        }
                    }
                    used.insert(ci)
                }
                break
            }
        }
        for (i, list) in byColumn.sorted(by: { $0.key < $1.key }) where !used.contains(i) {
            for (r, v) in list { a.filters.append(Filter(column: i, op: r.op, values: v)) }
            a.needsFiltering = true
        }
        return a
    }
}
