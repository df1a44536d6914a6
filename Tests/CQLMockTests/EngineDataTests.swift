import Foundation
import Testing
import CQLProtocol
@testable import CQLMock

@Suite struct EngineDataTests {
    @Test func createInsertSelectRoundTrip() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        guard case let .schemaChange(c) = try e.run("CREATE TABLE ks.users (id uuid PRIMARY KEY, name text, age int, tags set<text>, attrs map<text, int>, scores list<double>, born date, at timestamp, ip inet, data blob, ok boolean, big varint, dec decimal)") else {
            Issue.record("no schema change"); return
        }
        #expect(c == SchemaChange(change: .created, target: .table, keyspace: "ks", name: "users"))
        let id = UUID()
        try e.run("""
            INSERT INTO ks.users (id, name, age, tags, attrs, scores, born, at, ip, data, ok, big, dec)
            VALUES (\(id.uuidString), 'Ann', 42, {'b', 'a', 'b'}, {'z': 1, 'a': 2}, [1.5, 2], '2020-02-29',
                    '2021-01-02 03:04:05.006+0000', '10.0.0.1', 0xdeadbeef, true, -129, 3.25)
            """)
        let r = try e.rows("SELECT * FROM users WHERE id = ?", ks: "ks", [.uuid(id)], types: [.uuid])
        #expect(r.values.count == 1)
        let row = r[0]
        #expect(r.names.first == "id")
        #expect(row["name"] == .text("Ann"))
        #expect(row["age"] == .int(42))
        #expect(row["tags"] == .list([.text("a"), .text("b")]))
        #expect(row["attrs"] == .map([(key: .text("a"), value: .int(2)), (key: .text("z"), value: .int(1))]))
        #expect(row["scores"] == .list([.double(1.5), .double(2)]))
        #expect(row["born"] == .date(UInt32(1 << 31) + 18321))
        #expect(row["at"] == .int(1_609_556_645_006))
        #expect(row["ip"] == .inet([10, 0, 0, 1]))
        #expect(row["data"] == .blob([0xde, 0xad, 0xbe, 0xef]))
        #expect(row["ok"] == .boolean(true))
        #expect(row["big"] == .varint([0xFF, 0x7F]))
        #expect(row["dec"] == .decimal(scale: 2, unscaled: [0x01, 0x45]))
        // column list with alias, count
        let sel = try e.rows("SELECT name AS n, age FROM ks.users")
        #expect(sel.names == ["n", "age"])
        let cnt = try e.rows("SELECT count(*) FROM ks.users")
        #expect(cnt.values == [[.int(1)]] && cnt.names == ["count"])
    }

    @Test func typeChecks() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.t (k int PRIMARY KEY, v text, n smallint, u timeuuid, l list<int>)")
        let bad = ["INSERT INTO ks.t (k, v) VALUES ('x', 'a')", "INSERT INTO ks.t (k, v) VALUES (1, 2)",
                   "INSERT INTO ks.t (k, n) VALUES (1, 40000)", "INSERT INTO ks.t (k, u) VALUES (1, 123e4567-e89b-42d3-a456-426614174000)",
                   "INSERT INTO ks.t (k, l) VALUES (1, ['a'])", "INSERT INTO ks.t (k, nope) VALUES (1, 2)",
                   "INSERT INTO ks.t (v) VALUES ('a')", "INSERT INTO ks.nope (k) VALUES (1)",
                   "INSERT INTO nokeyspace.t (k) VALUES (1)", "INSERT INTO t (k) VALUES (1)"]
        for q in bad {
            #expect(e.error(q)?.code == 0x2200, "\(q): \(String(describing: e.error(q)))")
        }
        #expect(e.error("INSERT INTO ks.t (k, v) VALUES ('x', 'a')")?.message == "Invalid STRING constant (x) for \"k\" of type int")
        #expect(e.error("SELECT * FROM t")?.message.contains("No keyspace has been specified") == true)
        #expect(e.error("SELECT * FROM ks.nope")?.message == "unconfigured table nope")
        // bound values of the wrong width are refused too
        #expect(throws: EngineError.self) {
            try e.execute("INSERT INTO ks.t (k) VALUES (?)", keyspace: nil, options: QueryOptions(values: [[1, 2]]), node: testNode)
        }
    }

    @Test func updateCollectionsAndCounters() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.c (k int PRIMARY KEY, l list<int>, s set<text>, m map<text, int>, v int)")
        try e.run("INSERT INTO ks.c (k, l, s, m) VALUES (1, [1, 2], {'a'}, {'x': 1})")
        try e.run("UPDATE ks.c SET l = l + [3], s = s + {'b'}, m['y'] = 2, v = 7 WHERE k = 1")
        try e.run("UPDATE ks.c SET l = [0] + l, s = s - {'a'}, m = m - {'x'} WHERE k = 1")
        try e.run("UPDATE ks.c SET l[1] = 10 WHERE k = 1")
        var r = try e.rows("SELECT l, s, m, v FROM ks.c WHERE k = 1")[0]
        #expect(r["l"] == .list([.int(0), .int(10), .int(2), .int(3)]))
        #expect(r["s"] == .list([.text("b")]))
        #expect(r["m"] == .map([(key: .text("y"), value: .int(2))]))
        #expect(r["v"] == .int(7))
        try e.run("DELETE m['y'], v FROM ks.c WHERE k = 1")
        r = try e.rows("SELECT m, v FROM ks.c WHERE k = 1")[0]
        #expect(r["m"] == .null && r["v"] == .null)
        #expect(e.error("UPDATE ks.c SET l[9] = 1 WHERE k = 1")?.message == "List index 9 out of bound, list has size 4")

        try e.run("CREATE TABLE ks.cnt (k text PRIMARY KEY, hits counter)")
        try e.run("UPDATE ks.cnt SET hits = hits + 5 WHERE k = 'a'")
        try e.run("UPDATE ks.cnt SET hits = hits - 2 WHERE k = 'a'")
        #expect(try e.rows("SELECT hits FROM ks.cnt WHERE k = 'a'").values == [[.int(3)]])
        #expect(e.error("INSERT INTO ks.cnt (k, hits) VALUES ('b', 1)")?.code == 0x2200)
        #expect(e.error("UPDATE ks.cnt SET hits = 1 WHERE k = 'a'")?.code == 0x2200)
    }

    @Test func updateUpsertsAndDeleteRemoves() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.t (k int, c int, v text, PRIMARY KEY (k, c))")
        try e.run("UPDATE ks.t SET v = 'a' WHERE k = 1 AND c = 1")
        try e.run("INSERT INTO ks.t (k, c) VALUES (1, 2)")
        #expect(try e.rows("SELECT * FROM ks.t WHERE k = 1").values.count == 2)
        // a row made by UPDATE disappears when its only cell is deleted; an INSERTed one stays
        try e.run("DELETE v FROM ks.t WHERE k = 1 AND c = 1")
        #expect(try e.rows("SELECT c FROM ks.t WHERE k = 1").values == [[.int(2)]])
        try e.run("INSERT INTO ks.t (k, c, v) VALUES (1, 3, 'x')")
        try e.run("DELETE FROM ks.t WHERE k = 1 AND c >= 3")
        #expect(try e.rows("SELECT c FROM ks.t WHERE k = 1").values == [[.int(2)]])
        try e.run("DELETE FROM ks.t WHERE k = 1")
        #expect(try e.rows("SELECT * FROM ks.t").values.isEmpty)
        try e.run("INSERT INTO ks.t (k, c) VALUES (5, 5)")
        try e.run("TRUNCATE ks.t")
        #expect(try e.rows("SELECT * FROM ks.t").values.isEmpty)
    }

    @Test func clusteringOrder() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.ts (k text, t int, n text, PRIMARY KEY (k, t, n)) WITH CLUSTERING ORDER BY (t DESC, n ASC)")
        for (t, n) in [(5, "b"), (-3, "a"), (100, "c"), (5, "a"), (0, "z")] {
            try e.run("INSERT INTO ks.ts (k, t, n) VALUES ('p', \(t), '\(n)')")
        }
        let r = try e.rows("SELECT t, n FROM ks.ts WHERE k = 'p'")
        #expect(r.values == [[.int(100), .text("c")], [.int(5), .text("a")], [.int(5), .text("b")],
                             [.int(0), .text("z")], [.int(-3), .text("a")]])
        let asc = try e.rows("SELECT t FROM ks.ts WHERE k = 'p' ORDER BY t ASC")
        #expect(asc.column("t") == [.int(-3), .int(0), .int(5), .int(5), .int(100)])
        let range = try e.rows("SELECT t FROM ks.ts WHERE k = 'p' AND t > 0 AND t <= 100")
        #expect(range.column("t") == [.int(100), .int(5), .int(5)])
        let inList = try e.rows("SELECT t, n FROM ks.ts WHERE k = 'p' AND t IN (5, 0)")
        #expect(inList.values.count == 3)
        let lim = try e.rows("SELECT t FROM ks.ts WHERE k = 'p' LIMIT 2")
        #expect(lim.column("t") == [.int(100), .int(5)])
        #expect(e.error("SELECT * FROM ks.ts WHERE t = 5")?.message.contains("ALLOW FILTERING") == true)
        #expect(try e.rows("SELECT * FROM ks.ts WHERE t = 5 ALLOW FILTERING").values.count == 2)
        #expect(e.error("SELECT * FROM ks.ts ORDER BY t DESC")?.code == 0x2200)
    }

    @Test func pagingAcrossPages() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.p (k int, c int, PRIMARY KEY (k, c))")
        for k in 0..<7 { for c in 0..<5 { try e.run("INSERT INTO ks.p (k, c) VALUES (\(k), \(c))") } }
        let all = try e.rows("SELECT k, c FROM ks.p")
        #expect(all.values.count == 35 && all.pagingState == nil)
        var seen: [[CQLValue]] = []
        var state: [UInt8]?
        var pages = 0
        repeat {
            let r = try e.rows("SELECT k, c FROM ks.p", pageSize: 4, paging: state)
            #expect(r.values.count <= 4)
            seen += r.values
            state = r.pagingState
            pages += 1
            // a write between pages must not disturb the walk
            if pages == 2 { try e.run("INSERT INTO ks.p (k, c) VALUES (100, 0)") ; try e.run("DELETE FROM ks.p WHERE k = 100") }
        } while state != nil && pages < 100
        #expect(pages == 9)
        #expect(seen == all.values)
        // exactly divisible: the last full page carries no state
        let one = try e.rows("SELECT c FROM ks.p WHERE k = 1", pageSize: 5)
        #expect(one.values.count == 5 && one.pagingState == nil)
        // LIMIT spans pages
        var total = 0
        state = nil
        repeat {
            let r = try e.rows("SELECT c FROM ks.p LIMIT 10", pageSize: 3, paging: state)
            total += r.values.count
            state = r.pagingState
        } while state != nil
        #expect(total == 10)
        #expect(e.error("SELECT * FROM ks.p") == nil)
        #expect(throws: EngineError.self) { try e.rows("SELECT * FROM ks.p", pageSize: 2, paging: [1, 2, 3]) }
    }

    @Test func lightweightTransactions() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.l (k int PRIMARY KEY, v text)")
        let first = try e.rows("INSERT INTO ks.l (k, v) VALUES (1, 'a') IF NOT EXISTS")
        #expect(first.names == ["[applied]"] && first.values == [[.boolean(true)]])
        let second = try e.rows("INSERT INTO ks.l (k, v) VALUES (1, 'b') IF NOT EXISTS")
        #expect(second.names == ["[applied]", "k", "v"])
        #expect(second.values == [[.boolean(false), .int(1), .text("a")]])
        let cond = try e.rows("UPDATE ks.l SET v = 'c' WHERE k = 1 IF v = 'zzz'")
        #expect(cond.values == [[.boolean(false), .text("a")]])
        #expect(try e.rows("UPDATE ks.l SET v = 'c' WHERE k = 1 IF v = 'a'").values == [[.boolean(true)]])
        #expect(try e.rows("UPDATE ks.l SET v = 'd' WHERE k = 2 IF EXISTS").values == [[.boolean(false)]])
        #expect(try e.rows("DELETE FROM ks.l WHERE k = 1 IF EXISTS").values == [[.boolean(true)]])
        #expect(try e.rows("SELECT * FROM ks.l").values.isEmpty)
    }

    @Test func staticColumnsAndCompositeKeys() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.s (a int, b text, c int, s text static, v int, PRIMARY KEY ((a, b), c))")
        try e.run("INSERT INTO ks.s (a, b, c, s, v) VALUES (1, 'x', 1, 'shared', 10)")
        try e.run("INSERT INTO ks.s (a, b, c, v) VALUES (1, 'x', 2, 20)")
        let r = try e.rows("SELECT * FROM ks.s WHERE a = 1 AND b = 'x'")
        #expect(r.names == ["a", "b", "c", "s", "v"])
        #expect(r.column("s") == [.text("shared"), .text("shared")])
        #expect(e.error("SELECT * FROM ks.s WHERE a = 1")?.code == 0x2200)
        let tok = try e.rows("SELECT token(a, b) FROM ks.s WHERE a = 1 AND b = 'x' LIMIT 1")
        #expect(tok.values.count == 1)
    }

    @Test func batchesApplyAllOrNothing() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.b (k int PRIMARY KEY, v int)")
        try e.executeBatch([("INSERT INTO ks.b (k, v) VALUES (?, ?)", [[0, 0, 0, 1], [0, 0, 0, 2]]),
                            ("UPDATE ks.b SET v = 3 WHERE k = 2", [])], keyspace: nil, node: testNode)
        #expect(try e.rows("SELECT count(*) FROM ks.b").values == [[.int(2)]])
        #expect(throws: EngineError.self) {
            try e.executeBatch([("INSERT INTO ks.b (k, v) VALUES (9, 9)", []),
                                ("INSERT INTO ks.b (k, v) VALUES ('bad', 9)", [])], keyspace: nil, node: testNode)
        }
        #expect(try e.rows("SELECT count(*) FROM ks.b").values == [[.int(2)]])
        try e.run("BEGIN BATCH INSERT INTO ks.b (k, v) VALUES (7, 7); DELETE FROM ks.b WHERE k = 1; APPLY BATCH")
        #expect(try e.rows("SELECT k FROM ks.b").values.count == 2)
    }

    @Test func preparedStatements() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.pr (a int, b text, c int, v text, PRIMARY KEY ((a, b), c))")
        let p = try e.prepare("SELECT v FROM pr WHERE b = ? AND a = ? AND c IN ? LIMIT ?", keyspace: "ks", node: testNode)
        #expect(p.id.count == 16)
        #expect(p.bindNames == ["b", "a", "in(c)", "[limit]"])
        #expect(p.bindColumns.map(\.type) == [.varchar, .int, .list(.int), .int])
        #expect(p.partitionKeyIndexes == [1, 0])
        #expect(p.resultColumns.map(\.name) == ["v"])
        let again = try e.prepare("SELECT v FROM pr WHERE b = ? AND a = ? AND c IN ? LIMIT ?", keyspace: "ks", node: testPeer)
        #expect(again.id == p.id)
        let ins = try e.prepare("INSERT INTO ks.pr (a, b, c, v) VALUES (:a, :b, ?, ?)", keyspace: nil, node: testNode)
        #expect(ins.bindNames == ["a", "b", "c", "v"] && ins.partitionKeyIndexes == [0, 1] && ins.resultColumns.isEmpty)
        // named values are placed by marker name
        let vals: [[UInt8]?] = [Array("val".utf8), [0, 0, 0, 1], [0, 0, 0, 2], Array("bee".utf8)]
        _ = try e.execute("INSERT INTO ks.pr (a, b, c, v) VALUES (:a, :b, ?, ?)", keyspace: nil,
                          options: QueryOptions(values: vals, names: ["v", "c", "a", "b"]), node: testNode)
        let r = try e.rows("SELECT * FROM ks.pr")
        #expect(r.values == [[.int(2), .text("bee"), .int(1), .text("val")]])
        #expect(throws: EngineError.self) { try e.prepare("SELECT * FROM ks.missing WHERE a = ?", keyspace: nil, node: testNode) }
        #expect(e.requestCount(node: testNode.hostID) > 0 && e.requestCount(node: testPeer.hostID) == 1)
    }

    @Test func userTypesAndTuples() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        guard case let .schemaChange(c) = try e.run("CREATE TYPE ks.addr (street text, zip int)") else { Issue.record("type"); return }
        #expect(c.target == .type)
        try e.run("CREATE TABLE ks.u (k int PRIMARY KEY, a frozen<addr>, t tuple<int, text>)")
        try e.run("INSERT INTO ks.u (k, a, t) VALUES (1, {street: 'Main', zip: 42}, (1, 'x'))")
        let r = try e.rows("SELECT a, t FROM ks.u")[0]
        #expect(r["a"] == .tuple([.text("Main"), .int(42)]))
        #expect(r["t"] == .tuple([.int(1), .text("x")]))
        #expect(e.error("DROP TYPE ks.addr")?.code == 0x2200)
    }
}

@Suite struct EngineTokenRangeTests {
    @Test func tokenRangesPartitionTheRing() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.r (k int PRIMARY KEY, v int)")
        for k in 0..<50 { try e.run("INSERT INTO ks.r (k, v) VALUES (\(k), \(k))") }
        let all = try e.rows("SELECT token(k), k FROM ks.r")
        let tokens = all.values.map { v -> Int64 in if case let .int(t) = v[0] { return t }; return 0 }
        #expect(tokens == tokens.sorted())
        // murmur3 of int 0 as Cassandra computes it
        let zero = try e.rows("SELECT token(k) FROM ks.r WHERE k = 0")
        #expect(zero.values == [[.int(-3485513579396041028)]])
        var seen = 0
        let bounds: [Int64] = [Int64.min, -4_000_000_000_000_000_000, 0, 5_000_000_000_000_000_000, Int64.max]
        for (lo, hi) in zip(bounds, bounds.dropFirst()) {
            let r = try e.rows("SELECT k FROM ks.r WHERE token(k) > ? AND token(k) <= ?", [.int(lo), .int(hi)], types: [.bigint, .bigint])
            seen += r.values.count
        }
        #expect(seen == 50)
        #expect(e.error("SELECT k FROM ks.r WHERE token(v) > 0")?.code == 0x2200)
        #expect(e.error("DELETE FROM ks.r WHERE token(k) > 0")?.code == 0x2200)
        try e.run("ALTER TABLE ks.r WITH comment = 'changed'")
        let t = try e.rows("SELECT comment FROM system_schema.tables WHERE keyspace_name = 'ks' AND table_name = 'r'")
        #expect(t.values == [[.text("changed")]])
    }
}

@Suite struct EngineSelectFormsTests {
    func setUp() throws -> Engine {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.w (k int, c int, s text static, v int, PRIMARY KEY (k, c))")
        for k in 0..<4 { for c in 0..<3 { try e.run("INSERT INTO ks.w (k, c, v) VALUES (\(k), \(c), \(k * 10 + c))") } }
        try e.run("UPDATE ks.w SET s = 'only-static' WHERE k = 9")
        return e
    }

    @Test func distinctAndPerPartitionLimit() throws {
        let e = try setUp()
        let d = try e.rows("SELECT DISTINCT k FROM ks.w")
        #expect(Set(d.column("k")) == Set([0, 1, 2, 3, 9].map { CQLValue.int($0) }))
        #expect(d.values.count == 5)
        let ppl = try e.rows("SELECT k, c FROM ks.w PER PARTITION LIMIT 1")
        #expect(ppl.values.count == 5)
        #expect(e.error("SELECT DISTINCT v FROM ks.w")?.code == 0x2200)
    }

    @Test func staticOnlyPartitionShowsOneRow() throws {
        let e = try setUp()
        let r = try e.rows("SELECT * FROM ks.w WHERE k = 9")
        #expect(r.values == [[.int(9), .null, .text("only-static"), .null]])
        #expect(try e.rows("SELECT * FROM ks.w WHERE k = 9 AND c = 1").values.isEmpty)
    }

    @Test func inOnPartitionKeyPagesInGivenOrder() throws {
        let e = try setUp()
        var state: [UInt8]?
        var got: [CQLValue] = []
        repeat {
            let r = try e.rows("SELECT v FROM ks.w WHERE k IN (3, 1) AND c < 2", pageSize: 1, paging: state)
            got += r.column("v")
            state = r.pagingState
        } while state != nil
        #expect(got == [.int(30), .int(31), .int(10), .int(11)])
    }

    @Test func filteringOnRegularColumns() throws {
        let e = try setUp()
        #expect(e.error("SELECT * FROM ks.w WHERE v = 11")?.message.contains("ALLOW FILTERING") == true)
        let r = try e.rows("SELECT k, c FROM ks.w WHERE v > 20 ALLOW FILTERING")
        #expect(r.values.count == 5)   // 21, 22, 30, 31, 32
        let one = try e.rows("SELECT v FROM ks.w WHERE k = 1 AND v = 11 ALLOW FILTERING")
        #expect(one.values == [[.int(11)]])
    }

    @Test func caseAndQuotedIdentifiers() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.\"Mixed\" (\"Key\" int PRIMARY KEY, Plain text)")
        try e.run("insert into KS.\"Mixed\" (\"Key\", PLAIN) values (1, 'x');")
        let r = try e.rows("SELECT \"Key\", plain FROM ks.\"Mixed\"")
        #expect(r.names == ["Key", "plain"] && r.values == [[.int(1), .text("x")]])
        #expect(e.error("SELECT * FROM ks.mixed")?.code == 0x2200)
        #expect(e.error("SELECT key FROM ks.\"Mixed\"")?.code == 0x2200)
    }
}
