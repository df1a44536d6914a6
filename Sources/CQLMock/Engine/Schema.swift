import Foundation
import CQLProtocol

struct ColumnInfo: Sendable {
    enum Kind: String, Sendable { case partitionKey = "partition_key", clustering, regular, `static` }
    var name: String
    var type: CQLType
    var kind: Kind
    var position: Int          // index within the partition or clustering key, -1 otherwise
    var descending = false     // clustering order
}

/// One table's definition. `columns` is in `SELECT *` order (partition key, clustering, statics then regulars
/// by name, as Cassandra 4.0 orders them) and stored rows are arrays aligned with it.
struct TableDef: Sendable {
    var keyspace: String
    var name: String
    var id: UUID
    var columns: [ColumnInfo]
    var index: [String: Int]
    var partitionKey: [Int]
    var clustering: [Int]
    var options: [String: String]
    var isVirtual = false

    init(keyspace: String, name: String, id: UUID = UUID(), columns cols: [ColumnInfo], options: [String: String] = [:]) {
        self.keyspace = keyspace; self.name = name; self.id = id; self.options = options
        let pk = cols.filter { $0.kind == .partitionKey }.sorted { $0.position < $1.position }
        let ck = cols.filter { $0.kind == .clustering }.sorted { $0.position < $1.position }
        let st = cols.filter { $0.kind == .static }.sorted { $0.name < $1.name }
        let rg = cols.filter { $0.kind == .regular }.sorted { $0.name < $1.name }
        columns = pk + ck + st + rg
        index = Dictionary(columns.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        partitionKey = Array(0..<pk.count)
        clustering = Array(pk.count..<(pk.count + ck.count))
    }

    var isCounterTable: Bool { columns.contains { $0.type == .native(.counter) } }
    var hasStatics: Bool { columns.contains { $0.kind == .static } }

    func column(_ name: String) throws(EngineError) -> (Int, ColumnInfo) {
        guard let i = index[name] else { throw .invalid("Undefined column name \(name) in table \(keyspace).\(self.name)") }
        return (i, columns[i])
    }

    func resultColumn(_ i: Int, as alias: String? = nil) -> ResultColumn {
        ResultColumn(keyspace: keyspace, table: name, name: alias ?? columns[i].name, type: columns[i].type.dataType)
    }
}

struct UserTypeDef: Sendable {
    var keyspace: String
    var name: String
    var fields: [(String, CQLType)]
}

struct KeyspaceDef: Sendable {
    var name: String
    var replication: [String: String]
    var durableWrites = true
    var tables: [String: TableDef] = [:]
    var types: [String: UserTypeDef] = [:]
    var typeOrder: [String] = []          // creation order, for DESCRIBE (a type may use earlier ones)
    var isSystem = false
}

extension EngineState {
    /// Resolves a parsed type in keyspace `ks`: user types looked up, inner collections must be frozen.
    func resolve(_ t: TypeSyntax, in ks: String, nested: Bool = false) throws(EngineError) -> CQLType {
        switch t {
        case let .native(d):
            return .native(d)
        case let .list(e):
            if nested { throw .invalid("Non-frozen collections are not allowed inside collections: list<...>") }
            return .list(try resolve(e, in: ks, nested: true), frozen: false)
        case let .set(e):
            if nested { throw .invalid("Non-frozen collections are not allowed inside collections: set<...>") }
            return .set(try resolve(e, in: ks, nested: true), frozen: false)
        case let .map(k, v):
            if nested { throw .invalid("Non-frozen collections are not allowed inside collections: map<...>") }
            return .map(try resolve(k, in: ks, nested: true), try resolve(v, in: ks, nested: true), frozen: false)
        case let .tuple(ts):
            var out: [CQLType] = []
            for x in ts { out.append(try resolveFrozen(x, in: ks)) }
            return .tuple(out)
        case let .frozen(inner):
            return try resolveFrozen(inner, in: ks)
        case let .user(q):
            let uks = q.keyspace ?? ks
            guard let ut = keyspaces[uks]?.types[q.name] else { throw .invalid("Unknown type \(uks).\(q.name)") }
            if nested { throw .invalid("Non-frozen UDTs are not allowed inside collections: \(q.name)") }
            return .udt(keyspace: uks, name: ut.name, fields: ut.fields, frozen: false)
        }
    }

    private func resolveFrozen(_ t: TypeSyntax, in ks: String) throws(EngineError) -> CQLType {
        switch t {
        case let .list(e): return .list(try resolveFrozen(e, in: ks), frozen: true)
        case let .set(e): return .set(try resolveFrozen(e, in: ks), frozen: true)
        case let .map(k, v): return .map(try resolveFrozen(k, in: ks), try resolveFrozen(v, in: ks), frozen: true)
        case let .frozen(inner): return try resolveFrozen(inner, in: ks)
        default: return try resolve(t, in: ks, nested: false).frozen()
        }
    }

    func keyspaceName(_ q: QualifiedName, session: String?) throws(EngineError) -> String {
        guard let ks = q.keyspace ?? session else {
            throw .invalid("No keyspace has been specified. USE a keyspace, or explicitly specify keyspace.tablename")
        }
        return ks
    }

    /// The table a DML statement names, or the Invalid error Cassandra gives.
    func table(_ q: QualifiedName, session: String?) throws(EngineError) -> TableDef {
        let ks = try keyspaceName(q, session: session)
        guard let k = keyspaces[ks] else { throw .invalid("Keyspace \(ks) does not exist") }
        guard let t = k.tables[q.name] else { throw .invalid("unconfigured table \(q.name)") }
        return t
    }

    func buildTable(_ c: CreateTableStatement, keyspace ks: String) throws(EngineError) -> TableDef {
        var seen = Set<String>()
        var cols: [ColumnInfo] = []
        for d in c.columns {
            guard seen.insert(d.name).inserted else { throw .invalid("Duplicate column '\(d.name)' declaration for table \(ks).\(c.table.name)") }
            let t = try resolve(d.type, in: ks)
            var kind: ColumnInfo.Kind = d.isStatic ? .static : .regular
            var pos = -1
            if let p = c.partitionKey.firstIndex(of: d.name) { kind = .partitionKey; pos = p }
            if let p = c.clusteringKey.firstIndex(of: d.name) { kind = .clustering; pos = p }
            if kind == .partitionKey || kind == .clustering {
                if d.isStatic { throw .invalid("Static column \(d.name) cannot be part of the PRIMARY KEY") }
                if t.isMultiCell { throw .invalid("Invalid non-frozen collection type \(t.text) for PRIMARY KEY component \(d.name)") }
                if t == .native(.counter) { throw .invalid("counter type is not supported for PRIMARY KEY column '\(d.name)'") }
            }
            cols.append(ColumnInfo(name: d.name, type: t, kind: kind, position: pos,
                                   descending: c.clusteringOrder[d.name] ?? false))
        }
        for k in c.partitionKey + c.clusteringKey where !seen.contains(k) {
            throw .invalid("Unknown definition \(k) referenced in PRIMARY KEY")
        }
        if Set(c.partitionKey + c.clusteringKey).count != c.partitionKey.count + c.clusteringKey.count {
            throw .invalid("Duplicate definition in PRIMARY KEY")
        }
        for (k, _) in c.clusteringOrder where !c.clusteringKey.contains(k) {
            throw .invalid("Only clustering key columns can be defined in CLUSTERING ORDER directive")
        }
        if c.clusteringKey.isEmpty && cols.contains(where: { $0.kind == .static }) {
            throw .invalid("Static columns are only useful (and thus allowed) if the table has at least one clustering column")
        }
        let counters = cols.filter { $0.type == .native(.counter) }.count
        let nonKey = cols.filter { $0.kind == .regular || $0.kind == .static }.count
        if counters > 0 && counters != nonKey {
            throw .invalid("Cannot mix counter and non counter columns in the same table")
        }
        var opts: [String: String] = [:]
        for (k, v) in c.options { opts[k] = EngineState.optionText(v) }
        return TableDef(keyspace: ks, name: c.table.name, columns: cols, options: opts)
    }

    /// An option value as a CQL literal, for DESCRIBE.
    static func optionText(_ t: Term) -> String {
        switch t {
        case let .string(s): return "'\(s.replacingOccurrences(of: "'", with: "''"))'"
        case let .integer(s), let .float(s): return s
        case let .boolean(b): return b ? "true" : "false"
        case let .map(pairs):
            return "{" + pairs.map { "\(optionText($0.0)): \(optionText($0.1))" }.joined(separator: ", ") + "}"
        default: return "null"
        }
    }

    static func stringValue(_ t: Term) -> String? {
        switch t {
        case let .string(s), let .integer(s), let .float(s): return s
        case let .boolean(b): return b ? "true" : "false"
        default: return nil
        }
    }
}
