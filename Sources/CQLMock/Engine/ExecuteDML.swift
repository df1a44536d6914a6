import Foundation
import CQLProtocol

/// A planned write: its mutations, plus the single row it targets (for LWT checks).
struct WritePlan {
    var table: TableDef
    var mutations: [Mutation]
}

extension EngineState {
    func writableTable(_ q: QualifiedName, _ ctx: Context) throws(EngineError) -> TableDef {
        let t = try table(q, session: ctx.keyspace)
        if keyspaces[t.keyspace]?.isSystem == true {
            throw EngineError(code: EngineError.unauthorizedCode, message: "\(t.keyspace) keyspace is not user-modifiable.")
        }
        return t
    }

    mutating func planInsert(_ s: InsertStatement, _ ctx: Context) throws(EngineError) -> WritePlan {
        let t = try writableTable(s.table, ctx)
        if t.isCounterTable { throw .invalid("INSERT statements are not allowed on counter tables, use UPDATE instead") }
        guard Set(s.columns).count == s.columns.count else { throw .invalid("The column names contains duplicates") }
        var vals = [[UInt8]?](repeating: nil, count: t.columns.count)
        var given = Set<Int>()
        for (c, term) in zip(s.columns, s.values) {
            let (i, col) = try t.column(c)
            vals[i] = try ctx.binder.encode(term, col.type, col.name)
            given.insert(i)
        }
        try validateUsing(ttl: s.ttl, timestamp: s.timestamp, ctx)
        var pk: [[UInt8]] = []
        for i in t.partitionKey {
            guard given.contains(i) else { throw .invalid("Some partition key parts are missing: \(t.columns[i].name)") }
            guard let v = vals[i] else { throw .invalid("Invalid null value in condition for column \(t.columns[i].name)") }
            pk.append(v)
        }
        var ck: [[UInt8]?] = []
        for i in t.clustering {
            guard given.contains(i) else { throw .invalid("Some clustering keys are missing: \(t.columns[i].name)") }
            guard let v = vals[i] else { throw .invalid("Invalid null value in condition for column \(t.columns[i].name)") }
            ck.append(v)
        }
        let cells = given.sorted().filter { t.columns[$0].kind == .regular || t.columns[$0].kind == .static }
            .map { ($0, CellOp.set(vals[$0])) }
        let m = Mutation(table: t, partitionKey: t.partitionKeyBytes(pk), pkValues: pk,
                         kind: .write(ck: ck, cells: cells, marker: true))
        return WritePlan(table: t, mutations: [m])
    }

    func validateUsing(ttl: Term?, timestamp: Term?, _ ctx: Context) throws(EngineError) {
        if let x = ttl {
            let b = try ctx.binder.encode(x, .native(.int), "[ttl]")
            if let b, Int32(bitPattern: ValueOrder.be32(b)) < 0 { throw .invalid("A TTL must be greater or equal to 0, but was \(Int32(bitPattern: ValueOrder.be32(b)))") }
        }
        if let x = timestamp { _ = try ctx.binder.encode(x, .native(.bigint), "[timestamp]") }
    }

    /// Partition keys and full clustering keys a write targets (IN gives several).
    private func writeTargets(_ rels: [Relation], _ t: TableDef, _ ctx: Context, needRows: Bool)
        throws(EngineError) -> (WhereAnalysis, [(key: [UInt8], parts: [[UInt8]])]) {
        for r in rels {
            if r.token != nil { throw .invalid("The token function cannot be used in WHERE clauses for UPDATE and DELETE statements") }
            guard let i = t.index[r.column] else { throw .invalid("Undefined column name \(r.column) in table \(t.keyspace).\(t.name)") }
            let k = t.columns[i].kind
            if k == .regular || k == .static { throw .invalid("Non PRIMARY KEY columns found in where clause: \(r.column)") }
        }
        let a = try analyze(rels, t, ctx)
        guard a.partitionCandidates != nil else {
            let missing = t.partitionKey.map { t.columns[$0].name }.filter { c in !rels.contains { $0.column == c } }
            if missing.isEmpty { throw .invalid("Only EQ and IN relation are supported on the partition key (unless you use the token() function)") }
            throw .invalid("Some partition key parts are missing: \(missing.joined(separator: ", "))")
        }
        if needRows && a.clusteringEq.count < t.clustering.count {
            let missing = t.clustering.dropFirst(a.clusteringEq.count).map { t.columns[$0].name }
            throw .invalid("Some clustering keys are missing: \(missing.joined(separator: ", "))")
        }
        if a.needsFiltering { throw .invalid("Invalid restrictions on clustering columns since the UPDATE statement modifies only some PRIMARY KEY columns") }
        return (a, a.partitionKeys(t))
    }

    mutating func planUpdate(_ s: UpdateStatement, _ ctx: Context) throws(EngineError) -> WritePlan {
        let t = try writableTable(s.table, ctx)
        try validateUsing(ttl: s.ttl, timestamp: s.timestamp, ctx)
        var cells: [(Int, CellOp)] = []
        for a in s.assignments {
            let name: String
            switch a {
            case let .set(c, _), let .add(c, _), let .prepend(c, _), let .subtract(c, _), let .setElement(c, _, _): name = c
            }
            let (i, col) = try t.column(name)
            if col.kind == .partitionKey || col.kind == .clustering {
                throw .invalid("PRIMARY KEY part \(name) found in SET part")
            }
            cells.append((i, try cellOp(a, col, ctx)))
        }
        let onlyStatic = !cells.isEmpty && cells.allSatisfy { t.columns[$0.0].kind == .static }
        let (a, keys) = try writeTargets(s.whereClause, t, ctx, needRows: !onlyStatic)
        let cks = onlyStatic && a.clusteringEq.isEmpty ? [[]] : a.clusteringPrefixes
        var ms: [Mutation] = []
        for k in keys {
            for ck in cks {
                ms.append(Mutation(table: t, partitionKey: k.key, pkValues: k.parts,
                                   kind: .write(ck: ck, cells: cells, marker: false)))
            }
        }
        return WritePlan(table: t, mutations: ms)
    }

    private func cellOp(_ a: Assignment, _ col: ColumnInfo, _ ctx: Context) throws(EngineError) -> CellOp {
        let b = ctx.binder
        let isCounter = col.type == .native(.counter)
        switch a {
        case let .set(_, term):
            if isCounter {
                throw .invalid("Cannot set the value of counter column \(col.name) (counters can only be incremented/decremented, not set)")
            }
            return .set(try b.encode(term, col.type, col.name))
        case let .add(_, term), let .subtract(_, term):
            var plus = true
            if case .subtract = a { plus = false }
            if isCounter {
                guard let v = try b.encode(term, .native(.bigint), col.name) else { throw .invalid("Invalid null value for counter increment") }
                let n = Int64(bitPattern: ValueOrder.be64(v))
                return .counterAdd(plus ? n : 0 &- n)
            }
            switch col.type {
            case .list, .set:
                guard col.type.isMultiCell else { throw .invalid("Invalid operation (\(col.name) = \(col.name) \(plus ? "+" : "-") ?) for frozen collection column \(col.name)") }
                let v = try b.value(term, col.type, col.name)
                if case .null = v { return .set(nil) }
                return plus ? .add(v) : .subtract(v)
            case let .map(k, _, _):
                guard col.type.isMultiCell else { throw .invalid("Invalid operation for frozen collection column \(col.name)") }
                if plus { return .add(try b.value(term, col.type, col.name)) }
                return .subtract(try b.value(term, .set(k, frozen: true), col.name))
            default:
                throw .invalid("Invalid operation (\(col.name) = \(col.name) \(plus ? "+" : "-") ?) for non counter column \(col.name)")
            }
        case let .prepend(_, term):
            guard case .list = col.type, col.type.isMultiCell else {
                throw .invalid("Invalid operation (\(col.name) = ? + \(col.name)) for non list column \(col.name)")
            }
            return .prepend(try b.value(term, col.type, col.name))
        case let .setElement(_, k, v):
            switch col.type {
            case let .list(e, false):
                return .setElement(try b.value(k, .native(.int), "idx(\(col.name))"), try b.value(v, e, col.name))
            case let .map(kt, vt, false):
                return .setElement(try b.value(k, kt, "key(\(col.name))"), try b.value(v, vt, "value(\(col.name))"))
            default:
                throw .invalid("Invalid operation (\(col.name)[?] = ?) for non list/map column \(col.name)")
            }
        }
    }

    mutating func planDelete(_ s: DeleteStatement, _ ctx: Context) throws(EngineError) -> WritePlan {
        let t = try writableTable(s.table, ctx)
        try validateUsing(ttl: nil, timestamp: s.timestamp, ctx)
        var cells: [(Int, CellOp)] = []
        for target in s.targets {
            switch target {
            case let .column(c):
                let (i, col) = try t.column(c)
                if col.kind == .partitionKey || col.kind == .clustering {
                    throw .invalid("Invalid identifier \(c) for deletion (should not be a PRIMARY KEY part)")
                }
                cells.append((i, .set(nil)))
            case let .element(c, k):
                let (i, col) = try t.column(c)
                let key: CQLValue
                switch col.type {
                case .list: key = try ctx.binder.value(k, .native(.int), "idx(\(c))")
                case let .map(kt, _, _): key = try ctx.binder.value(k, kt, "key(\(c))")
                case let .set(e, _): key = try ctx.binder.value(k, e, c)
                default: throw .invalid("Invalid element deletion for non collection column \(c)")
                }
                cells.append((i, .removeElement(key)))
            }
        }
        let onlyStatic = !cells.isEmpty && cells.allSatisfy { t.columns[$0.0].kind == .static }
        let (a, keys) = try writeTargets(s.whereClause, t, ctx, needRows: !cells.isEmpty && !onlyStatic)
        var ms: [Mutation] = []
        for k in keys {
            if cells.isEmpty {
                for prefix in a.clusteringPrefixes {
                    ms.append(Mutation(table: t, partitionKey: k.key, pkValues: k.parts,
                                       kind: .deleteRows(prefix: prefix, lower: a.lower, upper: a.upper)))
                }
            } else {
                let cks = onlyStatic && a.clusteringEq.isEmpty ? [[]] : a.clusteringPrefixes
                for ck in cks {
                    ms.append(Mutation(table: t, partitionKey: k.key, pkValues: k.parts,
                                       kind: .write(ck: ck, cells: cells, marker: false)))
                }
            }
        }
        return WritePlan(table: t, mutations: ms)
    }

    // MARK: execution with lightweight transactions

    mutating func insert(_ s: InsertStatement, _ ctx: Context) throws(EngineError) -> EngineResult {
        let plan = try planInsert(s, ctx)
        if case .ifNotExists = s.lwt {
            let m = plan.mutations[0]
            if let existing = currentRow(m) {
                let t = plan.table
                let cols = [applied(t)] + t.columns.indices.map { t.resultColumn($0) }
                return .rows(columns: cols, rows: [[EngineState.boolBytes(false)] + existing], pagingState: nil)
            }
            try apply(m)
            return .rows(columns: [applied(plan.table)], rows: [[EngineState.boolBytes(true)]], pagingState: nil)
        }
        for m in plan.mutations { try apply(m) }
        return .void
    }

    mutating func update(_ s: UpdateStatement, _ ctx: Context) throws(EngineError) -> EngineResult {
        let plan = try planUpdate(s, ctx)
        return try conditional(plan, s.lwt, ctx)
    }

    mutating func delete(_ s: DeleteStatement, _ ctx: Context) throws(EngineError) -> EngineResult {
        let plan = try planDelete(s, ctx)
        return try conditional(plan, s.lwt, ctx)
    }

    private mutating func conditional(_ plan: WritePlan, _ lwt: LWT, _ ctx: Context) throws(EngineError) -> EngineResult {
        let t = plan.table
        switch lwt {
        case .none, .ifNotExists:
            for m in plan.mutations { try apply(m) }
            return .void
        case .ifExists:
            guard plan.mutations.count == 1 else { throw .invalid("IN on the primary key is not supported with conditions") }
            if currentRow(plan.mutations[0]) == nil {
                return .rows(columns: [applied(t)], rows: [[EngineState.boolBytes(false)]], pagingState: nil)
            }
            try apply(plan.mutations[0])
            return .rows(columns: [applied(t)], rows: [[EngineState.boolBytes(true)]], pagingState: nil)
        case let .conditions(conds):
            guard plan.mutations.count == 1 else { throw .invalid("IN on the primary key is not supported with conditions") }
            let row = currentRow(plan.mutations[0]) ?? [[UInt8]?](repeating: nil, count: t.columns.count)
            var ok = true
            var shown: [Int] = []
            for c in conds {
                let (i, col) = try t.column(c.column)
                if col.kind == .partitionKey || col.kind == .clustering {
                    throw .invalid("PRIMARY KEY column '\(c.column)' cannot have IF conditions")
                }
                let v = try ctx.binder.encode(c.value, col.type, col.name)
                let f = Filter(column: i, op: c.op, values: [v])
                let matched: Bool
                if c.op == .eq && v == nil { matched = row[i] == nil }
                else if c.op == .neq && v == nil { matched = row[i] != nil }
                else { matched = try f.matches(row, t) }
                if !matched { ok = false }
                if !shown.contains(i) { shown.append(i) }
            }
            if !ok {
                let cols = [applied(t)] + shown.map { t.resultColumn($0) }
                return .rows(columns: cols, rows: [[EngineState.boolBytes(false)] + shown.map { row[$0] }], pagingState: nil)
            }
            try apply(plan.mutations[0])
            return .rows(columns: [applied(t)], rows: [[EngineState.boolBytes(true)]], pagingState: nil)
        }
    }

    private func applied(_ t: TableDef) -> ResultColumn {
        ResultColumn(keyspace: t.keyspace, table: t.name, name: "[applied]", type: .boolean)
    }

    static func boolBytes(_ b: Bool) -> [UInt8] { [b ? 1 : 0] }

    /// The live row a single-row mutation targets (statics overlaid), or nil.
    func currentRow(_ m: Mutation) -> [[UInt8]?]? {
        let t = m.table
        guard let p = tableData[t.id]?.partitions[m.partitionKey] else { return nil }
        let ck: [[UInt8]?]
        switch m.kind {
        case let .write(c, _, _): ck = c
        case let .deleteRows(prefix, _, _): ck = prefix
        }
        if t.clustering.isEmpty || ck.count < t.clustering.count {
            guard ck.isEmpty, let s = p.statics else {
                return p.rows.first.map { overlay($0.values, p, t) }
            }
            return s
        }
        let (idx, found) = t.findRow(p.rows, ck)
        return found ? overlay(p.rows[idx].values, p, t) : nil
    }

    func overlay(_ row: [[UInt8]?], _ p: Partition, _ t: TableDef) -> [[UInt8]?] {
        guard let s = p.statics else { return row }
        var r = row
        for (i, c) in t.columns.enumerated() where c.kind == .static { r[i] = s[i] }
        return r
    }
}
