import Foundation
import CQLProtocol

/// How one output column is computed from a stored row.
enum Projection {
    case column(Int)
    case token
}

struct SelectPlan {
    var table: TableDef
    var columns: [ResultColumn]
    var projections: [Projection]
    var count: (all: Bool, column: Int?)?
}

extension EngineState {
    /// The definition of a table a SELECT names (system tables included), without its data.
    func selectTable(_ q: QualifiedName, _ ctx: Context) throws(EngineError) -> TableDef {
        let ks = try keyspaceName(q, session: ctx.keyspace)
        if let def = SystemSchema.definition(keyspace: ks, table: q.name) { return def }
        return try table(q, session: ctx.keyspace)
    }

    func selectPlan(_ s: SelectStatement, _ t: TableDef) throws(EngineError) -> SelectPlan {
        if s.json { throw .invalid("SELECT JSON is not supported by this mock") }
        guard let items = s.items else {
            return SelectPlan(table: t, columns: t.columns.indices.map { t.resultColumn($0) },
                              projections: t.columns.indices.map { .column($0) }, count: nil)
        }
        var plan = SelectPlan(table: t, columns: [], projections: [], count: nil)
        for item in items {
            switch item.selector {
            case let .column(c):
                let (i, _) = try t.column(c)
                if s.distinct, t.columns[i].kind != .partitionKey, t.columns[i].kind != .static {
                    throw .invalid("SELECT DISTINCT queries must only request partition key columns and/or static columns (not \(c))")
                }
                plan.columns.append(t.resultColumn(i, as: item.alias))
                plan.projections.append(.column(i))
            case .countAll:
                guard items.count == 1 else { throw .invalid("Mixing aggregates and columns is not supported by this mock") }
                plan.count = (true, nil)
                plan.columns.append(ResultColumn(keyspace: t.keyspace, table: t.name, name: item.alias ?? "count", type: .bigint))
            case let .function("count", args) where args.count == 1:
                guard items.count == 1 else { throw .invalid("Mixing aggregates and columns is not supported by this mock") }
                let (i, _) = try t.column(args[0])
                plan.count = (false, i)
                plan.columns.append(ResultColumn(keyspace: t.keyspace, table: t.name,
                                                 name: item.alias ?? "system.count(\(args[0]))", type: .bigint))
            case let .function("token", args):
                guard args == t.partitionKey.map({ t.columns[$0].name }) else {
                    throw .invalid("Invalid arguments for token(): the partition key columns are required, in order")
                }
                plan.columns.append(ResultColumn(keyspace: t.keyspace, table: t.name,
                                                 name: item.alias ?? "system.token(\(args.joined(separator: ", ")))", type: .bigint))
                plan.projections.append(.token)
            case .writetime, .ttl:
                throw .invalid("WRITETIME and TTL selectors are not supported by this mock")
            case let .function(f, _):
                throw .invalid("Unknown function '\(f)'")
            }
        }
        return plan
    }

    mutating func select(_ s: SelectStatement, _ ctx: Context, pageSize: Int32?,
                         pagingState: [UInt8]?) throws(EngineError) -> EngineResult {
        let ks = try keyspaceName(s.table, session: ctx.keyspace)
        var t: TableDef
        var data: TableData
        let isSystem: Bool
        if let (def, rows) = systemTable(keyspace: ks, table: s.table.name, node: ctx.node) {
            t = def; data = rows; isSystem = true
        } else {
            t = try table(s.table, session: ctx.keyspace)
            data = tableData.removeValue(forKey: t.id) ?? TableData()
            isSystem = false
        }
        // put the (possibly re-sorted) data back however we leave
        defer { if !isSystem { tableData[t.id] = data } }
        let plan = try selectPlan(s, t)
        t = plan.table
        let a = try analyze(s.whereClause, t, ctx)
        if a.needsFiltering && !s.allowFiltering && !isSystem {
            throw .invalid("Cannot execute this query as it might involve data filtering and thus may have unpredictable performance. If you want to execute this query despite the performance unpredictability, use ALLOW FILTERING")
        }
        let reverse = try orderReversed(s, t, a)
        var limit = Int.max
        if let l = s.limit {
            guard let b = try ctx.binder.encode(l, .native(.int), "[limit]") else { throw .invalid("Invalid null value of limit") }
            let n = Int(Int32(bitPattern: ValueOrder.be32(b)))
            guard n > 0 else { throw .invalid("LIMIT must be strictly positive") }
            limit = n
        }
        var perPartition = Int.max
        if let l = s.perPartitionLimit {
            guard let b = try ctx.binder.encode(l, .native(.int), "[per_partition_limit]") else { throw .invalid("Invalid null value of per partition limit") }
            perPartition = max(1, Int(Int32(bitPattern: ValueOrder.be32(b))))
        }

        if let count = plan.count {
            var n: Int64 = 0
            try EngineState.scan(t, &data, a, reverse: reverse, distinct: s.distinct, perPartition: perPartition,
                                 start: nil) { (row: [[UInt8]?], _: PagePosition) throws(EngineError) -> Bool in
                if count.all || row[count.column!] != nil { n += 1 }
                return n < limit
            }
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: n) >> (56 - 8 * UInt64($0))) }
            return .rows(columns: plan.columns, rows: [[bytes]], pagingState: nil)
        }

        var state: PagingState?
        if let ps = pagingState, !ps.isEmpty { state = try PagingState.decode(ps) }
        let already = state?.returned ?? 0
        let page = (pageSize ?? 0) > 0 ? Int(pageSize!) : Int.max
        var rows: [[[UInt8]?]] = []
        var lastPos: PagePosition?
        var more = false
        try EngineState.scan(t, &data, a, reverse: reverse, distinct: s.distinct, perPartition: perPartition,
                             start: state?.position) { (row: [[UInt8]?], pos: PagePosition) throws(EngineError) -> Bool in
            if already + rows.count >= limit { return false }
            if rows.count >= page { more = true; return false }
            var out: [[UInt8]?] = []
            out.reserveCapacity(plan.projections.count)
            for p in plan.projections {
                switch p {
                case let .column(i): out.append(row[i])
                case .token:
                    let tok = UInt64(bitPattern: Murmur3.token(pos.partition))
                    out.append((0..<8).map { UInt8(truncatingIfNeeded: tok >> (56 - 8 * UInt64($0))) })
                }
            }
            rows.append(out)
            lastPos = pos
            return true
        }
        let next = more ? lastPos.map { PagingState(returned: already + rows.count, position: $0).encode() } : nil
        return .rows(columns: plan.columns, rows: rows, pagingState: next)
    }

    /// Whether ORDER BY asks for the reverse of the stored clustering order (and whether it may).
    private func orderReversed(_ s: SelectStatement, _ t: TableDef, _ a: WhereAnalysis) throws(EngineError) -> Bool {
        guard !s.orderBy.isEmpty else { return false }
        guard a.partitionCandidates != nil else {
            throw .invalid("ORDER BY is only supported when the partition key is restricted by an EQ or an IN.")
        }
        var reversed: Bool?
        for (n, o) in s.orderBy.enumerated() {
            let (i, col) = try t.column(o.column)
            guard col.kind == .clustering else { throw .invalid("Order by is currently only supported on the clustered columns of the PRIMARY KEY, got \(o.column)") }
            guard n < t.clustering.count, t.clustering[n] == i else {
                throw .invalid("Order by currently only supports the ordering of columns following their declared order in the PRIMARY KEY")
            }
            let r = o.descending != col.descending
            if let prev = reversed, prev != r { throw .invalid("Unsupported order by relation") }
            reversed = r
        }
        return reversed ?? false
    }

    /// Visits matching rows in order (token order of partitions, clustering order within), starting after
    /// `start`. `visit` returns false to stop.
    static func scan(_ t: TableDef, _ data: inout TableData, _ a: WhereAnalysis, reverse: Bool, distinct: Bool,
                     perPartition: Int, start: PagePosition?,
                     visit: ([[UInt8]?], PagePosition) throws(EngineError) -> Bool) throws(EngineError) {
        var keys: [[UInt8]]
        var startIndex = 0
        var resumeIn: [[UInt8]?]??      // clustering to resume after, in the start partition
        if a.partitionCandidates != nil {
            keys = a.partitionKeys(t).map(\.key)
            if let s = start {
                guard let i = keys.firstIndex(of: s.partition) else { return }
                startIndex = i
                resumeIn = .some(s.clustering)
            }
        } else {
            let sorted = data.sortedKeys()
            keys = sorted.map(\.key)
            if let s = start {
                let tok = Murmur3.token(s.partition)
                var lo = 0, hi = sorted.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    let e = sorted[mid]
                    if e.token < tok || (e.token == tok && ValueOrder.bytes(e.key, s.partition) < 0) { lo = mid + 1 } else { hi = mid }
                }
                startIndex = lo
                if lo < sorted.count && sorted[lo].key == s.partition { resumeIn = .some(s.clustering) }
            } else if let (tok, _) = a.tokenLower {
                // token ranges (COPY TO, Spark) start at their lower bound instead of scanning from the ring start
                var lo = 0, hi = sorted.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if sorted[mid].token < tok { lo = mid + 1 } else { hi = mid }
                }
                startIndex = lo
            }
        }
        for ki in startIndex..<keys.count {
            guard let p = data.partitions[keys[ki]] else { continue }
            guard a.tokenMatches(p.token) else {
                if a.partitionCandidates == nil, let (hi, inc) = a.tokenUpper, p.token > hi || (p.token == hi && !inc) { return }
                continue
            }
            var after: [[UInt8]?]?
            if ki == startIndex, let r = resumeIn {
                guard let ck = r else { continue }          // that partition was finished
                after = ck
            }
            let staticOnly = p.rows.isEmpty || distinct
            if staticOnly {
                if after != nil { continue }
                guard distinct || (p.statics != nil && a.clusteringEq.isEmpty && a.sliceColumn == nil) else { continue }
                var row = p.rows.first?.values ?? [[UInt8]?](repeating: nil, count: t.columns.count)
                if p.rows.isEmpty {
                    for (n, i) in t.partitionKey.enumerated() { row[i] = partitionPart(t, p.key, n) }
                }
                if distinct { for i in t.clustering { row[i] = nil } }
                if let s = p.statics { for (i, c) in t.columns.enumerated() where c.kind == .static { row[i] = s[i] } }
                var ok = true
                for f in a.filters where !(try f.matches(row, t)) { ok = false; break }
                if ok, !(try visit(row, PagePosition(partition: p.key, clustering: nil))) { return }
                continue
            }
            var emitted = 0
            let n = p.rows.count
            for j in 0..<n {
                let r = p.rows[reverse ? n - 1 - j : j]
                if let ck = after {
                    let c = t.compareClustering(r.values, ck)
                    if reverse ? c >= 0 : c <= 0 { continue }
                }
                guard a.clusteringMatches(r.values, t) else { continue }
                var row = r.values
                if let s = p.statics { for (i, c) in t.columns.enumerated() where c.kind == .static { row[i] = s[i] } }
                var ok = true
                for f in a.filters where !(try f.matches(row, t)) { ok = false; break }
                guard ok else { continue }
                let ck = t.clustering.map { row[$0] }
                if !(try visit(row, PagePosition(partition: p.key, clustering: ck))) { return }
                emitted += 1
                if emitted >= perPartition { break }
            }
        }
    }

    /// Component `n` of a serialized partition key.
    static func partitionPart(_ t: TableDef, _ key: [UInt8], _ n: Int) -> [UInt8]? {
        if t.partitionKey.count == 1 { return key }
        var i = 0, k = 0
        while i + 2 <= key.count {
            let len = Int(key[i]) << 8 | Int(key[i + 1])
            i += 2
            guard i + len <= key.count else { return nil }
            if k == n { return Array(key[i..<(i + len)]) }
            i += len + 1
            k += 1
        }
        return nil
    }
}
