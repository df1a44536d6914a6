import Foundation
import CQLProtocol

extension EngineState {
    mutating func ddl(_ st: Statement, _ ctx: Context) throws(EngineError) -> EngineResult {
        switch st {
        case let .createKeyspace(name, ine, options):
            try EngineState.validateName(name, what: "Keyspace")
            if keyspaces[name] != nil {
                if ine { return .void }
                throw .alreadyExists("Cannot add already existing keyspace \"\(name)\"", keyspace: name, table: "")
            }
            let (repl, durable) = try EngineState.keyspaceOptions(options, existing: nil)
            keyspaces[name] = KeyspaceDef(name: name, replication: repl, durableWrites: durable)
            return changed(.created, .keyspace, name, nil)

        case let .alterKeyspace(name, options):
            guard var ks = keyspaces[name] else { throw .invalid("Keyspace '\(name)' doesn't exist") }
            if ks.isSystem { throw unauthorized("\(name) keyspace is not user-modifiable.") }
            (ks.replication, ks.durableWrites) = try EngineState.keyspaceOptions(options, existing: ks)
            keyspaces[name] = ks
            return changed(.updated, .keyspace, name, nil)

        case let .dropKeyspace(name, ie):
            guard let ks = keyspaces[name] else {
                if ie { return .void }
                throw .config("Cannot drop non existing keyspace '\(name)'.")
            }
            if ks.isSystem { throw unauthorized("Cannot DROP <keyspace \(name)>") }
            for t in ks.tables.values { tableData[t.id] = nil }
            keyspaces[name] = nil
            return changed(.dropped, .keyspace, name, nil)

        case let .createTable(c):
            let ks = try keyspaceName(c.table, session: ctx.keyspace)
            guard let k = keyspaces[ks] else { throw .invalid("Keyspace '\(ks)' doesn't exist") }
            if k.isSystem { throw unauthorized("\(ks) keyspace is not user-modifiable.") }
            try EngineState.validateName(c.table.name, what: "Table")
            if k.tables[c.table.name] != nil {
                if c.ifNotExists { return .void }
                throw .alreadyExists("Cannot add already existing table \"\(c.table.name)\" to keyspace \"\(ks)\"",
                                     keyspace: ks, table: c.table.name)
            }
            let t = try buildTable(c, keyspace: ks)
            keyspaces[ks]!.tables[t.name] = t
            tableData[t.id] = TableData()
            return changed(.created, .table, ks, t.name)

        case let .alterTable(q, action):
            var t = try writableTable(q, ctx)
            switch action {
            case let .add(defs):
                var cols = t.columns
                for d in defs {
                    if t.index[d.name] != nil { throw .invalid("Column with name '\(d.name)' already exists") }
                    let type = try resolve(d.type, in: t.keyspace)
                    if d.isStatic && t.clustering.isEmpty {
                        throw .invalid("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
                    }
                    if (type == .native(.counter)) != t.isCounterTable {
                        throw .invalid("Cannot mix counter and non counter columns in the same table")
                    }
                    cols.append(ColumnInfo(name: d.name, type: type, kind: d.isStatic ? .static : .regular, position: -1))
                }
                t = remap(t, to: cols)
            case let .drop(names):
                var cols = t.columns
                for n in names {
                    let (_, col) = try t.column(n)
                    if col.kind == .partitionKey || col.kind == .clustering { throw .invalid("Cannot drop PRIMARY KEY column \(n)") }
                    cols.removeAll { $0.name == n }
                }
                t = remap(t, to: cols)
            case let .with(options):
                for (k, v) in options { t.options[k] = EngineState.optionText(v) }
            }
            keyspaces[t.keyspace]!.tables[t.name] = t
            return changed(.updated, .table, t.keyspace, t.name)

        case let .dropTable(q, ie):
            let ks = try keyspaceName(q, session: ctx.keyspace)
            guard let k = keyspaces[ks] else {
                if ie { return .void }
                throw .invalid("Keyspace '\(ks)' doesn't exist")
            }
            if k.isSystem { throw unauthorized("\(ks) keyspace is not user-modifiable.") }
            guard let t = k.tables[q.name] else {
                if ie { return .void }
                throw .invalid("Table '\(ks).\(q.name)' doesn't exist")
            }
            keyspaces[ks]!.tables[q.name] = nil
            tableData[t.id] = nil
            return changed(.dropped, .table, ks, q.name)

        case let .truncate(q):
            let t = try writableTable(q, ctx)
            tableData[t.id] = TableData()
            return .void

        case let .createType(q, ine, fields):
            let ks = try keyspaceName(q, session: ctx.keyspace)
            guard let k = keyspaces[ks] else { throw .invalid("Keyspace '\(ks)' doesn't exist") }
            if k.isSystem { throw unauthorized("\(ks) keyspace is not user-modifiable.") }
            if k.types[q.name] != nil {
                if ine { return .void }
                throw .invalid("A user type with name '\(q.name)' already exists")
            }
            var resolved: [(String, CQLType)] = []
            for (n, f) in fields {
                if resolved.contains(where: { $0.0 == n }) { throw .invalid("Duplicate field name \(n) in type \(q.name)") }
                resolved.append((n, try resolve(f, in: ks)))
            }
            keyspaces[ks]!.types[q.name] = UserTypeDef(keyspace: ks, name: q.name, fields: resolved)
            keyspaces[ks]!.typeOrder.append(q.name)
            return changed(.created, .type, ks, q.name)

        case let .dropType(q, ie):
            let ks = try keyspaceName(q, session: ctx.keyspace)
            guard keyspaces[ks]?.types[q.name] != nil else {
                if ie { return .void }
                throw .invalid("No user type named \(q.name) exists.")
            }
            for t in keyspaces[ks]!.tables.values where t.columns.contains(where: { $0.type.uses(type: q.name, ks) }) {
                throw .invalid("Cannot drop user type \(ks).\(q.name) as it is still used by table \(ks).\(t.name)")
            }
            keyspaces[ks]!.types[q.name] = nil
            keyspaces[ks]!.typeOrder.removeAll { $0 == q.name }
            return changed(.dropped, .type, ks, q.name)

        default:
            throw .invalid("Unsupported statement")
        }
    }

    private func unauthorized(_ m: String) -> EngineError { EngineError(code: EngineError.unauthorizedCode, message: m) }

    private mutating func changed(_ c: SchemaChange.Change, _ t: SchemaChange.Target, _ ks: String,
                                  _ name: String?) -> EngineResult {
        schemaVersion = UUID()
        return .schemaChange(SchemaChange(change: c, target: t, keyspace: ks, name: name))
    }

    /// A new definition with `cols`, and the stored rows moved to the new column positions.
    private mutating func remap(_ t: TableDef, to cols: [ColumnInfo]) -> TableDef {
        let n = TableDef(keyspace: t.keyspace, name: t.name, id: t.id, columns: cols, options: t.options)
        let from = n.columns.map { t.index[$0.name] }
        func move(_ v: [[UInt8]?]) -> [[UInt8]?] { from.map { $0.map { v[$0] } ?? nil } }
        if var data = tableData[t.id] {
            for (k, var p) in data.partitions {
                p.rows = p.rows.map { StoredRow(values: move($0.values), marker: $0.marker) }
                p.statics = p.statics.map(move)
                data.partitions[k] = p
            }
            tableData[t.id] = data
        }
        return n
    }

    static func validateName(_ name: String, what: String) throws(EngineError) {
        guard !name.isEmpty, name.utf8.count <= 48, name.utf8.allSatisfy(Lexer.isWordChar) else {
            throw .invalid("\(what) name must not be empty, more than 48 characters long, or contain non-alphanumeric-underscore characters (got \"\(name)\")")
        }
    }

    static func keyspaceOptions(_ options: [String: Term], existing: KeyspaceDef?) throws(EngineError)
        -> ([String: String], Bool) {
        var durable = existing?.durableWrites ?? true
        var repl = existing?.replication
        for (k, v) in options {
            switch k {
            case "replication":
                guard case let .map(pairs) = v else { throw .config("Invalid replication options") }
                var r: [String: String] = [:]
                for (pk, pv) in pairs {
                    guard let key = stringValue(pk), let val = stringValue(pv) else { throw .config("Invalid replication option") }
                    r[key] = val
                }
                repl = try normalizeReplication(r)
            case "durable_writes":
                switch v {
                case let .boolean(b): durable = b
                case let .string(s) where ["true", "false"].contains(s.lowercased()): durable = s.lowercased() == "true"
                default: throw .syntax("Invalid value for durable_writes")
                }
            default:
                throw .syntax("Unknown property '\(k)'")
            }
        }
        guard let replication = repl else { throw .config("Missing mandatory option 'replication'") }
        return (replication, durable)
    }

    static func normalizeReplication(_ r: [String: String]) throws(EngineError) -> [String: String] {
        guard let cls = r["class"] else { throw .config("Missing replication strategy class") }
        let short = cls.hasPrefix("org.apache.cassandra.locator.") ? String(cls.dropFirst(29)) : cls
        var out = r
        switch short {
        case "SimpleStrategy":
            guard let rf = r["replication_factor"] else {
                throw .config("SimpleStrategy requires a replication_factor strategy option.")
            }
            guard let n = Int(rf), n >= 0 else { throw .config("Replication factor must be non-negative; found \(rf)") }
            for k in r.keys where k != "class" && k != "replication_factor" {
                throw .config("Unrecognized strategy option {\(k)} passed to SimpleStrategy for keyspace")
            }
            _ = n
        case "NetworkTopologyStrategy":
            for (k, v) in r where k != "class" {
                guard let n = Int(v), n >= 0 else { throw .config("Replication factor must be non-negative; found \(v)") }
                _ = n
            }
        default:
            throw .config("Unable to find replication strategy class 'org.apache.cassandra.locator.\(short)'")
        }
        out["class"] = "org.apache.cassandra.locator." + short
        return out
    }
}

extension CQLType {
    func uses(type name: String, _ ks: String) -> Bool {
        switch self {
        case .native: return false
        case let .list(e, _), let .set(e, _): return e.uses(type: name, ks)
        case let .map(k, v, _): return k.uses(type: name, ks) || v.uses(type: name, ks)
        case let .tuple(ts): return ts.contains { $0.uses(type: name, ks) }
        case let .udt(k, n, f, _): return (k == ks && n == name) || f.contains { $0.1.uses(type: name, ks) }
        }
    }
}
