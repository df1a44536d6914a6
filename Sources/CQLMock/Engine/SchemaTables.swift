import Foundation
import CQLProtocol

/// Rows of system_schema.* generated from the live schema, with the columns the drivers parse.
extension EngineState {
    var sortedKeyspaces: [KeyspaceDef] { keyspaces.values.sorted { $0.name < $1.name } }

    func schemaRows(_ table: String) -> [[String: [UInt8]?]] {
        var rows: [[String: [UInt8]?]] = []
        for ks in sortedKeyspaces {
            let ksCell: [UInt8]? = Cell.text(ks.name)
            switch table {
            case "keyspaces":
                rows.append(["keyspace_name": ksCell, "durable_writes": Cell.bool(ks.durableWrites),
                             "replication": Cell.textMap(ks.replication)])
            case "tables":
                for t in ks.tables.values { rows.append(tableRow(t)) }
            case "columns":
                for t in ks.tables.values {
                    for c in t.columns {
                        rows.append([
                            "keyspace_name": ksCell, "table_name": Cell.text(t.name), "column_name": Cell.text(c.name),
                            "clustering_order": Cell.text(c.kind == .clustering ? (c.descending ? "desc" : "asc") : "none"),
                            "column_name_bytes": Array(c.name.utf8), "kind": Cell.text(c.kind.rawValue),
                            "position": Cell.int(Int32(c.position)), "type": Cell.text(c.type.text),
                        ])
                    }
                }
            case "types":
                for name in ks.typeOrder {
                    guard let u = ks.types[name] else { continue }
                    rows.append(["keyspace_name": ksCell, "type_name": Cell.text(u.name),
                                 "field_names": Cell.textList(u.fields.map(\.0)),
                                 "field_types": Cell.textList(u.fields.map { $0.1.text })])
                }
            default:
                break
            }
        }
        return rows
    }

    /// Table options as Cassandra 4.0 defaults them, with the ones the CREATE statement set.
    static func tableOptions(_ t: TableDef) -> [(String, String)] {
        var o: [String: String] = [
            "additional_write_policy": "'99p'", "bloom_filter_fp_chance": "0.01",
            "caching": "{'keys': 'ALL', 'rows_per_partition': 'NONE'}", "cdc": "false", "comment": "''",
            "compaction": "{'class': 'org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy', 'max_threshold': '32', 'min_threshold': '4'}",
            "compression": "{'chunk_length_in_kb': '16', 'class': 'org.apache.cassandra.io.compress.LZ4Compressor'}",
            "crc_check_chance": "1.0", "default_time_to_live": "0", "extensions": "{}", "gc_grace_seconds": "864000",
            "max_index_interval": "2048", "memtable_flush_period_in_ms": "0", "min_index_interval": "128",
            "read_repair": "'BLOCKING'", "speculative_retry": "'99p'",
        ]
        for (k, v) in t.options where o[k] != nil { o[k] = v }
        return o.sorted { $0.key < $1.key }
    }

    private func tableRow(_ t: TableDef) -> [String: [UInt8]?] {
        let opts = Dictionary(uniqueKeysWithValues: EngineState.tableOptions(t))
        func str(_ k: String) -> [UInt8]? {
            guard var s = opts[k] else { return nil }
            if s.hasPrefix("'") && s.hasSuffix("'") && s.count >= 2 {
                s = String(s.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
            }
            return Cell.text(s)
        }
        func int(_ k: String) -> [UInt8]? { opts[k].flatMap { Int32($0) }.map(Cell.int) }
        func dbl(_ k: String) -> [UInt8]? { opts[k].flatMap { Double($0) }.map(Cell.double) }
        func map(_ k: String) -> [UInt8]? {
            // option maps are kept as CQL text; parse them back through the CQL term parser
            guard let text = opts[k], var p = try? Parser(text), case let .map(pairs)? = try? p.term() else {
                return Cell.textMap([:])
            }
            var m: [String: String] = [:]
            for (a, b) in pairs { if let x = EngineState.stringValue(a), let y = EngineState.stringValue(b) { m[x] = y } }
            return Cell.textMap(m)
        }
        return [
            "keyspace_name": Cell.text(t.keyspace), "table_name": Cell.text(t.name),
            "additional_write_policy": str("additional_write_policy"), "bloom_filter_fp_chance": dbl("bloom_filter_fp_chance"),
            "caching": map("caching"), "cdc": Cell.bool(opts["cdc"] == "true"), "comment": str("comment"),
            "compaction": map("compaction"), "compression": map("compression"),
            "crc_check_chance": dbl("crc_check_chance"), "default_time_to_live": int("default_time_to_live"),
            "extensions": Cell.encode(.map([]), .map(.native(.varchar), .native(.blob), frozen: true)),
            "flags": Cell.textSet(["compound"]), "gc_grace_seconds": int("gc_grace_seconds"), "id": Cell.uuid(t.id),
            "max_index_interval": int("max_index_interval"),
            "memtable_flush_period_in_ms": int("memtable_flush_period_in_ms"),
            "min_index_interval": int("min_index_interval"), "read_repair": str("read_repair"),
            "speculative_retry": str("speculative_retry"),
        ]
    }
}
