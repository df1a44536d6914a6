import Foundation
import CQLProtocol

/// Serialization shorthands for building system rows.
enum Cell {
    static func text(_ s: String) -> [UInt8] { Array(s.utf8) }
    static func int(_ v: Int32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    static func bool(_ b: Bool) -> [UInt8] { [b ? 1 : 0] }
    static func double(_ v: Double) -> [UInt8] { withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }
    static func uuid(_ u: UUID) -> [UInt8] { withUnsafeBytes(of: u.uuid) { Array($0) } }
    static func inet(_ s: String) -> [UInt8]? { Binder.parseInet(s) }
    static func encode(_ v: CQLValue, _ t: CQLType) -> [UInt8]? { try? v.encode(as: t.dataType) }
    static func textSet(_ xs: [String]) -> [UInt8]? {
        encode(.list(xs.sorted().map { .text($0) }), .set(.native(.varchar), frozen: true))
    }
    static func textList(_ xs: [String]) -> [UInt8]? { encode(.list(xs.map { .text($0) }), SystemSchema.textList) }
    static func textMap(_ m: [String: String]) -> [UInt8]? {
        encode(.map(m.sorted { $0.key < $1.key }.map { (key: .text($0.key), value: .text($0.value)) }), SystemSchema.textMap)
    }
}

extension EngineState {
    /// A system table's definition and current rows, built for this request (they depend on the node asked).
    func systemTable(keyspace ks: String, table name: String, node: NodeInfo) -> (TableDef, TableData)? {
        guard let t = SystemSchema.definition(keyspace: ks, table: name) else { return nil }
        var rows: [[String: [UInt8]?]] = []
        switch (ks, name) {
        case ("system", "local"): rows = [localRow(node)]
        case ("system", "peers"): rows = peers(of: node).map(peerRow)
        case ("system", "peers_v2"): rows = peers(of: node).map(peerV2Row)
        case ("system_schema", _): rows = schemaRows(name)
        default: rows = []
        }
        return (t, EngineState.materialize(t, rows))
    }

    private func peers(of node: NodeInfo) -> [NodeInfo] { topology.filter { $0.hostID != node.hostID } }

    /// Tokens to advertise: the node's own, or one derived from its place in the topology (drivers skip
    /// peers without tokens).
    private func tokens(_ n: NodeInfo) -> [String] {
        if !n.tokens.isEmpty { return n.tokens }
        let i = topology.firstIndex { $0.hostID == n.hostID } ?? 0
        let count = max(topology.count, 1)
        let step = UInt64.max / UInt64(count)
        return [String(Int64(bitPattern: UInt64(bitPattern: Int64.min) &+ step &* UInt64(i)))]
    }

    private func localRow(_ n: NodeInfo) -> [String: [UInt8]?] {
        [
            "key": Cell.text("local"), "bootstrapped": Cell.text("COMPLETED"),
            "broadcast_address": Cell.inet(n.address), "broadcast_port": Cell.int(7000),
            "cluster_name": Cell.text(clusterName), "cql_version": Cell.text("3.4.5"),
            "data_center": Cell.text(n.dataCenter), "gossip_generation": Cell.int(1_700_000_000),
            "host_id": Cell.uuid(n.hostID), "listen_address": Cell.inet(n.address), "listen_port": Cell.int(7000),
            "native_protocol_version": Cell.text("4"),
            "partitioner": Cell.text("org.apache.cassandra.dht.Murmur3Partitioner"), "rack": Cell.text(n.rack),
            "release_version": Cell.text(releaseVersion), "rpc_address": Cell.inet(n.address),
            "rpc_port": Cell.int(Int32(truncatingIfNeeded: n.port)), "schema_version": Cell.uuid(schemaVersion),
            "tokens": Cell.textSet(tokens(n)),
        ]
    }

    private func peerRow(_ n: NodeInfo) -> [String: [UInt8]?] {
        [
            "peer": Cell.inet(n.address), "data_center": Cell.text(n.dataCenter), "host_id": Cell.uuid(n.hostID),
            "preferred_ip": Cell.inet(n.address), "rack": Cell.text(n.rack),
            "release_version": Cell.text(releaseVersion), "rpc_address": Cell.inet(n.address),
            "schema_version": Cell.uuid(schemaVersion), "tokens": Cell.textSet(tokens(n)),
        ]
    }

    private func peerV2Row(_ n: NodeInfo) -> [String: [UInt8]?] {
        [
            "peer": Cell.inet(n.address), "peer_port": Cell.int(Int32(truncatingIfNeeded: n.port)),
            "data_center": Cell.text(n.dataCenter), "host_id": Cell.uuid(n.hostID),
            "native_address": Cell.inet(n.address), "native_port": Cell.int(Int32(truncatingIfNeeded: n.port)),
            "preferred_ip": Cell.inet(n.address), "preferred_port": Cell.int(Int32(truncatingIfNeeded: n.port)),
            "rack": Cell.text(n.rack), "release_version": Cell.text(releaseVersion),
            "schema_version": Cell.uuid(schemaVersion), "tokens": Cell.textSet(tokens(n)),
        ]
    }

    /// Stores rows given by column name into a fresh TableData, in key order.
    static func materialize(_ t: TableDef, _ rows: [[String: [UInt8]?]]) -> TableData {
        var data = TableData()
        for r in rows {
            var vals = [[UInt8]?](repeating: nil, count: t.columns.count)
            for (k, v) in r { if let i = t.index[k] { vals[i] = v } }
            let pkParts = t.partitionKey.map { vals[$0] ?? [] }
            let key = t.partitionKeyBytes(pkParts)
            var p = data.partitionForWrite(key)
            let ck = t.clustering.map { vals[$0] }
            let (idx, found) = t.findRow(p.rows, ck)
            let row = StoredRow(values: vals, marker: true)
            if found { p.rows[idx] = row } else { p.rows.insert(row, at: idx) }
            data.partitions[key] = p
        }
        return data
    }
}
