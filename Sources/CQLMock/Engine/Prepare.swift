import Foundation
import CQLProtocol

/// What each bind marker of a statement stands for (its receiver), as PREPARE reports it.
struct BindAnalysis {
    var specs: [ResultColumn?]
    var partitionKeyIndexes: [UInt16] = []

    mutating func assign(_ term: Term, _ t: TableDef, _ name: String, _ type: CQLType) {
        switch term {
        case let .bind(i) where i < specs.count:
            if specs[i] == nil { specs[i] = ResultColumn(keyspace: t.keyspace, table: t.name, name: name, type: type.dataType) }
        case let .list(items):
            switch type {
            case let .list(e, _), let .set(e, _): for x in items { assign(x, t, name, e) }
            default: break
            }
        case let .set(items):
            if case let .set(e, _) = type { for x in items { assign(x, t, name, e) } }
        case let .map(pairs):
            if case let .map(k, v, _) = type { for (a, b) in pairs { assign(a, t, name, k); assign(b, t, name, v) } }
            if case let .udt(_, _, fields, _) = type {
                for (a, b) in pairs {
                    if case let .string(f) = a, let ft = fields.first(where: { $0.0 == f }) { assign(b, t, name, ft.1) }
                }
            }
        case let .tuple(items):
            if case let .tuple(ts) = type { for (i, x) in items.enumerated() where i < ts.count { assign(x, t, name, ts[i]) } }
        default:
            break
        }
    }
}

extension EngineState {
    mutating func prepare(_ query: String, keyspace: String?) throws(EngineError) -> PreparedInfo {
        let p = try parsed(query)
        let node = topology.first ?? NodeInfo(hostID: UUID(), address: "127.0.0.1", port: 9042,
                                               dataCenter: "datacenter1", rack: "rack1", tokens: [])
        let ctx = Context(keyspace: keyspace, binder: Binder(values: []), node: node)
        let a = try bindAnalysis(p, ctx)
        var cols: [ResultColumn] = []
        var names: [String] = []
        for (i, spec) in a.specs.enumerated() {
            guard let s = spec else { throw .invalid("Could not infer the type of bind marker \(i)") }
            let name = p.markers[i].name ?? s.name
            names.append(name)
            cols.append(ResultColumn(keyspace: s.keyspace, table: s.table, name: name, type: s.type))
        }
        var result: [ResultColumn] = []
        if case let .select(s) = p.statement {
            result = try selectPlan(s, try selectTable(s.table, ctx)).columns
        }
        let id = MD5.digest(Array(((keyspace ?? "") + query).utf8))
        return PreparedInfo(id: id, bindColumns: cols, bindNames: names,
                            partitionKeyIndexes: a.partitionKeyIndexes, resultColumns: result)
    }

    /// Marker names in order (for values sent with names).
    func bindNames(_ p: ParsedStatement, keyspace: String?) throws(EngineError) -> [String] {
        if p.markers.allSatisfy({ $0.name != nil }) { return p.markers.map { $0.name! } }
        let node = topology.first ?? NodeInfo(hostID: UUID(), address: "127.0.0.1", port: 9042,
                                               dataCenter: "datacenter1", rack: "rack1", tokens: [])
        let a = try bindAnalysis(p, Context(keyspace: keyspace, binder: Binder(values: []), node: node))
        return p.markers.enumerated().map { $1.name ?? a.specs[$0]?.name ?? "" }
    }

    func bindAnalysis(_ p: ParsedStatement, _ ctx: Context) throws(EngineError) -> BindAnalysis {
        var a = BindAnalysis(specs: Array(repeating: nil, count: p.markers.count))
        try analyzeBinds(p.statement, ctx, &a, top: true)
        return a
    }

    private func analyzeBinds(_ st: Statement, _ ctx: Context, _ a: inout BindAnalysis, top: Bool) throws(EngineError) {
        let int = CQLType.native(.int), bigint = CQLType.native(.bigint)
        switch st {
        case let .select(s):
            let t = try selectTable(s.table, ctx)
            try relationBinds(s.whereClause, t, &a, keyIndexes: top)
            if let l = s.perPartitionLimit { a.assign(l, t, "[per_partition_limit]", int) }
            if let l = s.limit { a.assign(l, t, "[limit]", int) }
        case let .insert(s):
            let t = try table(s.table, session: ctx.keyspace)
            var byColumn: [String: Term] = [:]
            for (c, v) in zip(s.columns, s.values) {
                let (_, col) = try t.column(c)
                a.assign(v, t, c, col.type)
                byColumn[c] = v
            }
            if let x = s.ttl { a.assign(x, t, "[ttl]", int) }
            if let x = s.timestamp { a.assign(x, t, "[timestamp]", bigint) }
            if top { a.partitionKeyIndexes = keyIndexes(t) { byColumn[$0] } }
        case let .update(s):
            let t = try table(s.table, session: ctx.keyspace)
            if let x = s.ttl { a.assign(x, t, "[ttl]", int) }
            if let x = s.timestamp { a.assign(x, t, "[timestamp]", bigint) }
            for asg in s.assignments {
                switch asg {
                case let .set(c, v), let .add(c, v), let .prepend(c, v):
                    a.assign(v, t, c, try t.column(c).1.type)
                case let .subtract(c, v):
                    let type = try t.column(c).1.type
                    if case let .map(k, _, _) = type { a.assign(v, t, c, .set(k, frozen: true)) } else { a.assign(v, t, c, type) }
                case let .setElement(c, k, v):
                    switch try t.column(c).1.type {
                    case let .list(e, _): a.assign(k, t, "idx(\(c))", int); a.assign(v, t, "value(\(c))", e)
                    case let .map(kt, vt, _): a.assign(k, t, "key(\(c))", kt); a.assign(v, t, "value(\(c))", vt)
                    default: throw .invalid("Invalid operation (\(c)[?] = ?) for non list/map column \(c)")
                    }
                }
            }
            try relationBinds(s.whereClause, t, &a, keyIndexes: top)
            try conditionBinds(s.lwt, t, &a)
        case let .delete(s):
            let t = try table(s.table, session: ctx.keyspace)
            for target in s.targets {
                guard case let .element(c, k) = target else { continue }
                switch try t.column(c).1.type {
                case .list: a.assign(k, t, "idx(\(c))", int)
                case let .map(kt, _, _): a.assign(k, t, "key(\(c))", kt)
                case let .set(e, _): a.assign(k, t, c, e)
                default: break
                }
            }
            if let x = s.timestamp { a.assign(x, t, "[timestamp]", bigint) }
            try relationBinds(s.whereClause, t, &a, keyIndexes: top)
            try conditionBinds(s.lwt, t, &a)
        case let .batch(children):
            for c in children { try analyzeBinds(c, ctx, &a, top: false) }
        default:
            break
        }
    }

    private func relationBinds(_ rels: [Relation], _ t: TableDef, _ a: inout BindAnalysis, keyIndexes top: Bool) throws(EngineError) {
        var eq: [String: Term] = [:]
        for r in rels {
            if r.token != nil {
                a.assign(r.value, t, "partition key token", .native(.bigint))
                continue
            }
            let (_, col) = try t.column(r.column)
            switch r.op {
            case .in:
                if case .bind = r.value { a.assign(r.value, t, "in(\(r.column))", .list(col.type, frozen: true)) }
                else if case let .list(items) = r.value { for x in items { a.assign(x, t, r.column, col.type) } }
            case .contains:
                switch col.type {
                case let .list(e, _), let .set(e, _), let .map(_, e, _): a.assign(r.value, t, r.column, e)
                default: a.assign(r.value, t, r.column, col.type)
                }
            case .containsKey:
                if case let .map(k, _, _) = col.type { a.assign(r.value, t, r.column, k) }
            default:
                a.assign(r.value, t, r.column, col.type)
                if r.op == .eq { eq[r.column] = r.value }
            }
        }
        if top { a.partitionKeyIndexes = keyIndexes(t) { eq[$0] } }
    }

    private func conditionBinds(_ lwt: LWT, _ t: TableDef, _ a: inout BindAnalysis) throws(EngineError) {
        guard case let .conditions(cs) = lwt else { return }
        for c in cs { a.assign(c.value, t, c.column, try t.column(c.column).1.type) }
    }

    /// Marker index of each partition key column, when every one is given by a plain marker.
    private func keyIndexes(_ t: TableDef, _ term: (String) -> Term?) -> [UInt16] {
        var out: [UInt16] = []
        for i in t.partitionKey {
            guard case let .bind(m)? = term(t.columns[i].name) else { return [] }
            out.append(UInt16(m))
        }
        return out
    }
}
