import Foundation
import Testing
import CQLProtocol
@testable import CQLMock

@Suite struct EngineSystemTests {
    @Test func localAndPeers() throws {
        let e = Engine.test()
        let local = try e.rows("SELECT * FROM system.local WHERE key='local'")
        #expect(local.values.count == 1)
        let row = local[0]
        #expect(row["cluster_name"] == .text("Test Cluster"))
        #expect(row["host_id"] == .uuid(testNode.hostID))
        #expect(row["partitioner"] == .text("org.apache.cassandra.dht.Murmur3Partitioner"))
        #expect(row["cql_version"] == .text("3.4.5") && row["native_protocol_version"] == .text("4"))
        #expect(row["release_version"] == .text("4.0.11"))
        #expect(row["rpc_address"] == .inet([127, 0, 0, 1]) && row["rpc_port"] == .int(9042))
        #expect(row["tokens"] == .list([.text("-9223372036854775808")]))
        #expect(row["schema_version"] == .uuid(e.schemaVersion))
        let cols = try e.rows("SELECT host_id, cluster_name, data_center, rack FROM system.local WHERE key='local'")
        #expect(cols.names == ["host_id", "cluster_name", "data_center", "rack"])
        #expect(try e.rows("SELECT * FROM system.local WHERE key='other'").values.isEmpty)

        let peers = try e.rows("SELECT * FROM system.peers")
        #expect(peers.column("host_id") == [.uuid(testPeer.hostID)])
        #expect(peers.column("rpc_address") == [.inet([127, 0, 0, 2])])
        let v2 = try e.rows("SELECT host_id, peer, peer_port, native_address, native_port, schema_version FROM system.peers_v2")
        #expect(v2.values.count == 1 && v2[0]["native_port"] == .int(9042))
        // seen from the peer, the first node is the peer
        let fromPeer = try e.execute("SELECT host_id FROM system.peers", keyspace: nil, options: QueryOptions(), node: testPeer)
        guard case let .rows(_, r, _) = fromPeer else { Issue.record("rows"); return }
        #expect(r.count == 1 && r[0][0] == withUnsafeBytes(of: testNode.hostID.uuid) { Array($0) })
    }

    @Test func schemaTablesDescribeACreatedTable() throws {
        let e = Engine.test()
        let v0 = e.schemaVersion
        try e.setUpKeyspace()
        #expect(e.schemaVersion != v0)
        try e.run("CREATE TABLE ks.t (a int, b text, c timestamp, v map<text, frozen<list<int>>>, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC) AND comment = 'hello'")
        let ks = try e.rows("SELECT * FROM system_schema.keyspaces")
        let names = ks.column("keyspace_name")
        for k in ["ks", "system", "system_schema", "system_auth", "system_distributed", "system_traces"] {
            #expect(names.contains(.text(k)), "\(k)")
        }
        let mine = try e.rows("SELECT replication, durable_writes FROM system_schema.keyspaces WHERE keyspace_name = 'ks'")
        #expect(mine[0]["replication"] == .map([(key: .text("class"), value: .text("org.apache.cassandra.locator.SimpleStrategy")),
                                                (key: .text("replication_factor"), value: .text("1"))]))
        let t = try e.rows("SELECT * FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 't'")
        #expect(t.values.count == 1)
        #expect(t[0]["comment"] == .text("hello"))
        #expect(t[0]["flags"] == .list([.text("compound")]))
        let c = try e.rows("SELECT column_name, kind, position, type, clustering_order, column_name_bytes FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 't'")
        let byName = Dictionary(uniqueKeysWithValues: c.values.map { (String(describing: $0[0]), $0) })
        #expect(c.values.count == 4)
        #expect(byName[String(describing: CQLValue.text("a"))]?[1] == .text("partition_key"))
        #expect(byName[String(describing: CQLValue.text("b"))]?[2] == .int(1))
        #expect(byName[String(describing: CQLValue.text("c"))]?[4] == .text("desc"))
        #expect(byName[String(describing: CQLValue.text("v"))]?[3] == .text("map<text, frozen<list<int>>>"))
        #expect(byName[String(describing: CQLValue.text("v"))]?[5] == .blob(Array("v".utf8)))
        for table in ["types", "functions", "aggregates", "triggers", "indexes", "views", "dropped_columns"] {
            #expect(try e.rows("SELECT * FROM system_schema.\(table)").values.isEmpty, "\(table)")
        }
        for table in ["keyspaces", "tables", "columns"] {
            #expect(try e.rows("SELECT * from system_virtual_schema.\(table)").values.isEmpty)
        }
        try e.run("DROP TABLE ks.t")
        #expect(try e.rows("SELECT * FROM system_schema.columns WHERE keyspace_name = 'ks'").values.isEmpty)
    }

    @Test func ddlResultsAndErrors() throws {
        let e = Engine.test()
        guard case let .schemaChange(c) = try e.run("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}") else {
            Issue.record("schema change"); return
        }
        #expect(c == SchemaChange(change: .created, target: .keyspace, keyspace: "ks"))
        let dup = e.error("CREATE KEYSPACE ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}")
        #expect(dup?.code == 0x2400 && dup?.keyspace == "ks" && dup?.table == "")
        guard case .void = try e.run("CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}") else {
            Issue.record("if not exists"); return
        }
        #expect(e.error("CREATE KEYSPACE k2 WITH replication = {'class': 'SimpleStrategy'}")?.code == 0x2300)
        #expect(e.error("CREATE KEYSPACE k2 WITH replication = {'class': 'Bogus'}")?.code == 0x2300)
        guard case .setKeyspace("ks") = try e.run("USE ks") else { Issue.record("use"); return }
        #expect(e.error("USE nope")?.code == 0x2200)
        try e.run("CREATE TABLE t (k int PRIMARY KEY)", ks: "ks")
        let dupT = e.error("CREATE TABLE ks.t (k int PRIMARY KEY)")
        #expect(dupT?.code == 0x2400 && dupT?.table == "t")
        #expect(e.error("CREATE TABLE ks.u (k int)")?.code == 0x2200)
        #expect(e.error("CREATE TABLE ks.u (k int PRIMARY KEY, l list<int>, PRIMARY KEY (l))")?.code == 0x2200)
        #expect(e.error("CREATE TABLE nope.u (k int PRIMARY KEY)")?.code == 0x2200)
        guard case let .schemaChange(drop) = try e.run("DROP TABLE ks.t") else { Issue.record("drop"); return }
        #expect(drop == SchemaChange(change: .dropped, target: .table, keyspace: "ks", name: "t"))
        #expect(e.error("DROP TABLE ks.t")?.code == 0x2200)
        #expect(e.error("DROP TABLE IF EXISTS ks.t") == nil)
        #expect(e.error("DROP KEYSPACE system")?.code == 0x2100)
        #expect(e.error("INSERT INTO system.local (key) VALUES ('x')")?.code == 0x2100)
        try e.run("DROP KEYSPACE ks")
        #expect(e.error("DROP KEYSPACE ks")?.code == 0x2300)
        #expect(e.error("DROP KEYSPACE IF EXISTS ks") == nil)
    }

    @Test func describeOutputs() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.t (a int, b text, c int, s int static, v set<text>, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC)")
        try e.run("CREATE TABLE ks.simple (id uuid PRIMARY KEY, \"Name\" text)")
        let kss = try e.rows("DESCRIBE KEYSPACES")
        #expect(kss.names == ["keyspace_name", "type", "name"])
        #expect(kss.column("name").contains(.text("ks")) && kss.column("name").contains(.text("system")))
        let tables = try e.rows("DESC TABLES", ks: "ks")
        #expect(tables.column("name") == [.text("simple"), .text("t")])
        #expect(tables.column("type") == [.text("table"), .text("table")])
        let t = try e.rows("DESCRIBE TABLE ks.t")
        #expect(t.names == ["keyspace_name", "type", "name", "create_statement"])
        guard case let .text(stmt)? = t.values.first?[3] else { Issue.record("statement"); return }
        #expect(stmt.hasPrefix("CREATE TABLE ks.t (\n    a int,\n    b text,\n    c int,\n    s int static,\n    v set<text>,\n    PRIMARY KEY ((a, b), c)\n) WITH CLUSTERING ORDER BY (c DESC)\n    AND additional_write_policy = '99p'"))
        #expect(stmt.hasSuffix("AND speculative_retry = '99p';"))
        let simple = try e.rows("DESC simple", ks: "ks")
        guard case let .text(s2)? = simple.values.first?[3] else { Issue.record("statement"); return }
        #expect(s2.hasPrefix("CREATE TABLE ks.simple (\n    id uuid PRIMARY KEY,\n    \"Name\" text\n) WITH additional_write_policy"))
        let ks = try e.rows("DESCRIBE KEYSPACE ks")
        #expect(ks.column("type") == [.text("keyspace"), .text("table"), .text("table")])
        #expect(ks.values[0][3] == .text("CREATE KEYSPACE ks WITH replication = {'class': 'org.apache.cassandra.locator.SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;"))
        #expect(try e.rows("DESC KEYSPACE", ks: "ks").values.count == 3)
        #expect(try e.rows("DESCRIBE SCHEMA").column("keyspace_name").allSatisfy { $0 == .text("ks") })
        #expect(try e.rows("DESCRIBE FULL SCHEMA").column("keyspace_name").contains(.text("system_schema")))
        let cluster = try e.rows("DESCRIBE CLUSTER")
        #expect(cluster.names == ["cluster", "partitioner", "snitch"])
        #expect(try e.rows("DESCRIBE CLUSTER", ks: "ks").names.last == "range_ownership")
        #expect(e.error("DESCRIBE TABLE ks.nope")?.message == "'nope' not found in keyspace 'ks'")
        #expect(e.error("DESCRIBE KEYSPACE nope")?.message == "'nope' not found in keyspaces")
        #expect(e.error("DESCRIBE TABLE nope")?.code == 0x2200)
    }
}
