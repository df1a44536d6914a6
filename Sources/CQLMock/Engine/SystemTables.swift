import Foundation
import CQLProtocol

/// Definitions of the system tables a Cassandra 4.0 node has and that drivers and cqlsh read.
enum SystemSchema {
    static let text = CQLType.native(.varchar)
    static let textMap = CQLType.map(text, text, frozen: true)
    static let textList = CQLType.list(text, frozen: true)

    private static func def(_ ks: String, _ name: String, pk: [(String, CQLType)], ck: [(String, CQLType)] = [],
                             _ regular: [(String, CQLType)]) -> TableDef {
        var cols: [ColumnInfo] = []
        for (i, c) in pk.enumerated() { cols.append(ColumnInfo(name: c.0, type: c.1, kind: .partitionKey, position: i)) }
        for (i, c) in ck.enumerated() { cols.append(ColumnInfo(name: c.0, type: c.1, kind: .clustering, position: i)) }
        for c in regular { cols.append(ColumnInfo(name: c.0, type: c.1, kind: .regular, position: -1)) }
        // stable ids so DESCRIBE / system_schema stay the same across engines
        let id = stableID("\(ks).\(name)")
        return TableDef(keyspace: ks, name: name, id: id, columns: cols)
    }

    /// A name-based UUID (version 3 shape), so system table ids are the same in every engine.
    static func stableID(_ name: String) -> UUID {
        var d = MD5.digest(Array(name.utf8))
        d[6] = d[6] & 0x0F | 0x30
        d[8] = d[8] & 0x3F | 0x80
        var u = UUID().uuid
        withUnsafeMutableBytes(of: &u) { raw in for i in 0..<16 { raw[i] = d[i] } }
        return UUID(uuid: u)
    }

    static let tables: [TableDef] = {
        let t = text, i = CQLType.native(.int), u = CQLType.native(.uuid), inet = CQLType.native(.inet)
        let b = CQLType.native(.boolean), d = CQLType.native(.double)
        let tokens = CQLType.set(t, frozen: false)
        let ksName = ("keyspace_name", t)
        return [
            def("system", "local", pk: [("key", t)], [
                ("bootstrapped", t), ("broadcast_address", inet), ("broadcast_port", i), ("cluster_name", t),
                ("cql_version", t), ("data_center", t), ("gossip_generation", i), ("host_id", u),
                ("listen_address", inet), ("listen_port", i), ("native_protocol_version", t), ("partitioner", t),
                ("rack", t), ("release_version", t), ("rpc_address", inet), ("rpc_port", i),
                ("schema_version", u), ("tokens", tokens),
                ("truncated_at", .map(u, .native(.blob), frozen: false)),
            ]),
            def("system", "peers", pk: [("peer", inet)], [
                ("data_center", t), ("host_id", u), ("preferred_ip", inet), ("rack", t), ("release_version", t),
                ("rpc_address", inet), ("schema_version", u), ("tokens", tokens),
            ]),
            def("system", "peers_v2", pk: [("peer", inet)], ck: [("peer_port", i)], [
                ("data_center", t), ("host_id", u), ("native_address", inet), ("native_port", i),
                ("preferred_ip", inet), ("preferred_port", i), ("rack", t), ("release_version", t),
                ("schema_version", u), ("tokens", tokens),
            ]),
            def("system_schema", "keyspaces", pk: [ksName], [("durable_writes", b), ("replication", textMap)]),
            def("system_schema", "tables", pk: [ksName], ck: [("table_name", t)], [
                ("additional_write_policy", t), ("bloom_filter_fp_chance", d), ("caching", textMap), ("cdc", b),
                ("comment", t), ("compaction", textMap), ("compression", textMap), ("crc_check_chance", d),
                ("default_time_to_live", i), ("extensions", .map(t, .native(.blob), frozen: true)),
                ("flags", .set(t, frozen: true)), ("gc_grace_seconds", i), ("id", u), ("max_index_interval", i),
                ("memtable_flush_period_in_ms", i), ("min_index_interval", i), ("read_repair", t),
                ("speculative_retry", t),
            ]),
            def("system_schema", "columns", pk: [ksName], ck: [("table_name", t), ("column_name", t)], [
                ("clustering_order", t), ("column_name_bytes", .native(.blob)), ("kind", t), ("position", i), ("type", t),
            ]),
            def("system_schema", "dropped_columns", pk: [ksName], ck: [("table_name", t), ("column_name", t)], [
                ("dropped_time", .native(.timestamp)), ("kind", t), ("type", t),
            ]),
            def("system_schema", "types", pk: [ksName], ck: [("type_name", t)], [
                ("field_names", textList), ("field_types", textList),
            ]),
            def("system_schema", "functions", pk: [ksName], ck: [("function_name", t), ("argument_types", textList)], [
                ("argument_names", textList), ("body", t), ("called_on_null_input", b), ("language", t), ("return_type", t),
            ]),
            def("system_schema", "aggregates", pk: [ksName], ck: [("aggregate_name", t), ("argument_types", textList)], [
                ("final_func", t), ("initcond", t), ("return_type", t), ("state_func", t), ("state_type", t),
            ]),
            def("system_schema", "triggers", pk: [ksName], ck: [("table_name", t), ("trigger_name", t)], [
                ("options", textMap),
            ]),
            def("system_schema", "indexes", pk: [ksName], ck: [("table_name", t), ("index_name", t)], [
                ("kind", t), ("options", textMap),
            ]),
            def("system_schema", "views", pk: [ksName], ck: [("view_name", t)], [
                ("base_table_id", u), ("base_table_name", t), ("bloom_filter_fp_chance", d), ("caching", textMap),
                ("comment", t), ("compaction", textMap), ("compression", textMap), ("crc_check_chance", d),
                ("default_time_to_live", i), ("extensions", .map(t, .native(.blob), frozen: true)),
                ("gc_grace_seconds", i), ("id", u), ("include_all_columns", b), ("max_index_interval", i),
                ("memtable_flush_period_in_ms", i), ("min_index_interval", i), ("read_repair", t),
                ("speculative_retry", t), ("where_clause", t),
            ]),
            def("system_traces", "sessions", pk: [("session_id", u)], [
                ("client", inet), ("command", t), ("coordinator", inet), ("coordinator_port", i), ("duration", i),
                ("parameters", .map(t, t, frozen: false)), ("request", t), ("started_at", .native(.timestamp)),
            ]),
            def("system_traces", "events", pk: [("session_id", u)], ck: [("event_id", .native(.timeuuid))], [
                ("activity", t), ("source", inet), ("source_elapsed", i), ("source_port", i), ("thread", t),
            ]),
            def("system_virtual_schema", "keyspaces", pk: [ksName], []),
            def("system_virtual_schema", "tables", pk: [ksName], ck: [("table_name", t)], [("comment", t)]),
            def("system_virtual_schema", "columns", pk: [ksName], ck: [("table_name", t), ("column_name", t)], [
                ("clustering_order", t), ("column_name_bytes", .native(.blob)), ("kind", t), ("position", i), ("type", t),
            ]),
        ]
    }()

    private static let byName: [String: TableDef] = Dictionary(
        tables.map { ("\($0.keyspace).\($0.name)", $0) }, uniquingKeysWith: { a, _ in a })

    static func definition(keyspace: String, table: String) -> TableDef? { byName["\(keyspace).\(table)"] }

    /// The built-in keyspaces a 4.0 node lists in system_schema.keyspaces (virtual ones excluded).
    static func keyspaces() -> [KeyspaceDef] {
        let local = ["class": "org.apache.cassandra.locator.LocalStrategy"]
        func simple(_ rf: Int) -> [String: String] {
            ["class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": "\(rf)"]
        }
        var out = [
            KeyspaceDef(name: "system", replication: local, isSystem: true),
            KeyspaceDef(name: "system_schema", replication: local, isSystem: true),
            KeyspaceDef(name: "system_auth", replication: simple(1), isSystem: true),
            KeyspaceDef(name: "system_distributed", replication: simple(3), isSystem: true),
            KeyspaceDef(name: "system_traces", replication: simple(2), isSystem: true),
        ]
        for i in out.indices {
            for t in tables where t.keyspace == out[i].name { out[i].tables[t.name] = t }
        }
        return out
    }
}
