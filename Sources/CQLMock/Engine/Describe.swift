import Foundation
import CQLProtocol

/// Server-side DESCRIBE with Cassandra 4.0's result shapes: lists are (keyspace_name, type, name), elements
/// add create_statement, CLUSTER is (cluster, partitioner, snitch[, range_ownership]).
extension EngineState {
    mutating func describe(_ target: DescribeTarget, _ ctx: Context) throws(EngineError) -> EngineResult {
        switch target {
        case .keyspaces:
            return list(sortedKeyspaces.map { ($0.name, "keyspace", $0.name) })
        case .tables:
            return list(try scope(ctx).flatMap { ks in ks.tables.keys.sorted().map { (ks.name, "table", $0) } })
        case .types:
            return list(try scope(ctx).flatMap { ks in ks.typeOrder.map { (ks.name, "type", $0) } })
        case .functions, .aggregates:
            return list([])
        case .cluster:
            return cluster(ctx)
        case let .schema(full):
            var rows: [(String, String, String, String)] = []
            for ks in sortedKeyspaces where full || !ks.isSystem { rows += keyspaceElements(ks, only: false) }
            return elements(rows)
        case let .keyspace(name, only):
            guard let n = name ?? ctx.keyspace else { throw .invalid("No keyspace specified and no current keyspace") }
            guard let ks = keyspaces[n] else { throw .invalid("'\(n)' not found in keyspaces") }
            return elements(keyspaceElements(ks, only: only))
        case let .table(q):
            let (ks, t) = try describedTable(q, ctx)
            return elements([(ks, "table", t.name, EngineState.createTable(t))])
        case let .type(q):
            let ks = try describeKeyspace(q, ctx)
            guard let u = keyspaces[ks]?.types[q.name] else { throw .invalid("'\(q.name)' not found in keyspace '\(ks)'") }
            return elements([(ks, "type", u.name, EngineState.createType(u))])
        case let .other(kind, q):
            let ks = try describeKeyspace(q, ctx)
            _ = kind
            throw .invalid("'\(q.name)' not found in keyspace '\(ks)'")
        case let .generic(q):
            if q.keyspace == nil, let ks = keyspaces[q.name] { return elements(keyspaceElements(ks, only: false)) }
            let (ks, t) = try describedTable(q, ctx)
            return elements([(ks, "table", t.name, EngineState.createTable(t))])
        }
    }

    private func scope(_ ctx: Context) throws(EngineError) -> [KeyspaceDef] {
        if let k = ctx.keyspace {
            guard let ks = keyspaces[k] else { throw .invalid("'\(k)' not found in keyspaces") }
            return [ks]
        }
        return sortedKeyspaces
    }

    private func describeKeyspace(_ q: QualifiedName, _ ctx: Context) throws(EngineError) -> String {
        guard let ks = q.keyspace ?? ctx.keyspace else { throw .invalid("No keyspace specified and no current keyspace") }
        guard keyspaces[ks] != nil else { throw .invalid("'\(ks)' not found in keyspaces") }
        return ks
    }

    private func describedTable(_ q: QualifiedName, _ ctx: Context) throws(EngineError) -> (String, TableDef) {
        let ks = try describeKeyspace(q, ctx)
        guard let t = keyspaces[ks]?.tables[q.name] else { throw .invalid("'\(q.name)' not found in keyspace '\(ks)'") }
        return (ks, t)
    }

    private func keyspaceElements(_ ks: KeyspaceDef, only: Bool) -> [(String, String, String, String)] {
        var rows = [(ks.name, "keyspace", ks.name, EngineState.createKeyspace(ks))]
        if only { return rows }
        for n in ks.typeOrder { if let u = ks.types[n] { rows.append((ks.name, "type", n, EngineState.createType(u))) } }
        for n in ks.tables.keys.sorted() { rows.append((ks.name, "table", n, EngineState.createTable(ks.tables[n]!))) }
        return rows
    }

    private func describeColumn(_ name: String, _ type: DataType) -> ResultColumn {
        ResultColumn(keyspace: "system", table: "describe", name: name, type: type)
    }

    private func list(_ rows: [(String, String, String)]) -> EngineResult {
        let cols = ["keyspace_name", "type", "name"].map { describeColumn($0, .varchar) }
        return .rows(columns: cols, rows: rows.map { [Cell.text($0.0), Cell.text($0.1), Cell.text($0.2)] }, pagingState: nil)
    }

    private func elements(_ rows: [(String, String, String, String)]) -> EngineResult {
        let cols = ["keyspace_name", "type", "name", "create_statement"].map { describeColumn($0, .varchar) }
        return .rows(columns: cols, rows: rows.map {
            [Cell.text($0.0), Cell.text($0.1), Cell.text($0.2), Cell.text($0.3)]
        }, pagingState: nil)
    }

    private func cluster(_ ctx: Context) -> EngineResult {
        var cols = ["cluster", "partitioner", "snitch"].map { describeColumn($0, .varchar) }
        var row: [[UInt8]?] = [Cell.text(clusterName), Cell.text("org.apache.cassandra.dht.Murmur3Partitioner"),
                               Cell.text("org.apache.cassandra.locator.SimpleSnitch")]
        if ctx.keyspace != nil {
            let type = CQLType.map(.native(.varchar), .list(.native(.varchar), frozen: true), frozen: true)
            cols.append(describeColumn("range_ownership", type.dataType))
            var owners: [(token: Int64, text: String, endpoint: String)] = []
            let nodes = topology.isEmpty ? [ctx.node] : topology
            for n in nodes {
                for tok in n.tokens { owners.append((Int64(tok) ?? 0, tok, "\(n.address):\(n.port)")) }
            }
            owners.sort { $0.token < $1.token }
            let map = CQLValue.map(owners.map { (key: .text($0.text), value: .list([.text($0.endpoint)])) })
            row.append(Cell.encode(map, type))
        }
        return .rows(columns: cols, rows: [row], pagingState: nil)
    }

    // MARK: CREATE statements as Cassandra 4.0 prints them

    static func createKeyspace(_ ks: KeyspaceDef) -> String {
        var entries = ["'class': '\(ks.replication["class"] ?? "")'"]
        for (k, v) in ks.replication.sorted(by: { $0.key < $1.key }) where k != "class" { entries.append("'\(k)': '\(v)'") }
        return "CREATE KEYSPACE \(CQLType.quoteIfNeeded(ks.name)) WITH replication = {\(entries.joined(separator: ", "))}  AND durable_writes = \(ks.durableWrites);"
    }

    static func createType(_ u: UserTypeDef) -> String {
        let fields = u.fields.map { "    \(CQLType.quoteIfNeeded($0.0)) \($0.1.text)" }.joined(separator: ",\n")
        return "CREATE TYPE \(CQLType.quoteIfNeeded(u.keyspace)).\(CQLType.quoteIfNeeded(u.name)) (\n\(fields)\n);"
    }

    static func createTable(_ t: TableDef) -> String {
        let q = CQLType.quoteIfNeeded
        var lines: [String] = []
        let singleKey = t.partitionKey.count == 1 && t.clustering.isEmpty
        for (i, c) in t.columns.enumerated() {
            var l = "    \(q(c.name)) \(c.type.text)"
            if c.kind == .static { l += " static" }
            if singleKey && i == t.partitionKey[0] { l += " PRIMARY KEY" }
            lines.append(l)
        }
        if !singleKey {
            let pk = t.partitionKey.map { q(t.columns[$0].name) }
            var key = pk.count == 1 ? pk[0] : "(" + pk.joined(separator: ", ") + ")"
            for ci in t.clustering { key += ", " + q(t.columns[ci].name) }
            lines.append("    PRIMARY KEY (\(key))")
        }
        var opts: [String] = []
        if !t.clustering.isEmpty {
            let order = t.clustering.map { "\(q(t.columns[$0].name)) \(t.columns[$0].descending ? "DESC" : "ASC")" }
            opts.append("CLUSTERING ORDER BY (\(order.joined(separator: ", ")))")
        }
        for (k, v) in tableOptions(t) { opts.append("\(k) = \(v)") }
        return "CREATE TABLE \(q(t.keyspace)).\(q(t.name)) (\n\(lines.joined(separator: ",\n"))\n) WITH "
            + opts.joined(separator: "\n    AND ") + ";"
    }
}
