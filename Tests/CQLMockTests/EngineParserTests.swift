import Foundation
import Testing
import CQLProtocol
@testable import CQLMock

@Suite struct EngineLexerTests {
    @Test func tokenKinds() throws {
        let toks = try Lexer.tokenize("SELECT \"Name\", x FROM t WHERE a = 'it''s' AND b = -1.5e3 AND c = 0xCAFE "
            + "AND d = 123e4567-e89b-12d3-a456-426614174000 AND e = :named AND f = ? -- comment\n/* block */ // line")
            .map(\.token)
        #expect(toks.contains(.word("SELECT")))
        #expect(toks.contains(.quoted("Name")))
        #expect(toks.contains(.string("it's")))
        #expect(toks.contains(.float("1.5e3")))
        #expect(toks.contains(.blob([0xCA, 0xFE])))
        #expect(toks.contains(.uuid(UUID(uuidString: "123e4567-e89b-12d3-a456-426614174000")!)))
        #expect(toks.contains(.named("named")))
        #expect(toks.contains(.symbol("?")))
        #expect(toks.last == .end)
        #expect(!toks.contains(.word("comment")) && !toks.contains(.word("block")))
    }

    @Test func unterminatedStringIsSyntaxError() {
        #expect(throws: EngineError.self) { try Lexer.tokenize("SELECT 'abc") }
        do { _ = try Lexer.tokenize("SELECT 'abc") } catch { #expect(error.code == 0x2000) }
    }

    @Test func dollarStrings() throws {
        #expect(try Lexer.tokenize("$$a'b$$").first?.token == .string("a'b"))
    }
}

@Suite struct EngineParserTests {
    func parse(_ q: String) throws -> Statement { try Parser.parse(q).statement }

    @Test func selectForms() throws {
        guard case let .select(s) = try parse("select a AS x, \"B\", count(*) from KS.Tbl where a = 1 and b IN (1, 2) and c > ? order by b desc limit 10 allow filtering;") else {
            Issue.record("not a select"); return
        }
        #expect(s.table == QualifiedName(keyspace: "ks", name: "tbl"))
        #expect(s.items?.count == 3)
        #expect(s.items?[0].alias == "x")
        if case let .column(c)? = s.items?[1].selector { #expect(c == "B") } else { Issue.record("quoted column") }
        if case .countAll? = s.items?[2].selector {} else { Issue.record("count(*)") }
        #expect(s.whereClause.map(\.op) == [.eq, .in, .gt])
        #expect(s.orderBy.first?.column == "b" && s.orderBy.first?.descending == true)
        #expect(s.allowFiltering)
        guard case .integer("10")? = s.limit else { Issue.record("limit"); return }
    }

    @Test func insertWithLWTAndUsing() throws {
        let p = try Parser.parse("INSERT INTO t (a, b, c) VALUES (?, :bee, [1, 2]) IF NOT EXISTS USING TTL 10 AND TIMESTAMP 5")
        guard case let .insert(i) = p.statement else { Issue.record("not insert"); return }
        #expect(i.columns == ["a", "b", "c"])
        #expect(p.markers.count == 2 && p.markers[1].name == "bee")
        if case .ifNotExists = i.lwt {} else { Issue.record("lwt") }
        #expect(i.ttl != nil && i.timestamp != nil)
    }

    @Test func updateAssignments() throws {
        guard case let .update(u) = try parse("UPDATE t SET a = 1, l = l + [1], l = [0] + l, m['k'] = 'v', c = c - 1, s = s + {'x'} WHERE k = 1 IF EXISTS") else {
            Issue.record("not update"); return
        }
        #expect(u.assignments.count == 6)
        if case .set("a", _) = u.assignments[0] {} else { Issue.record("set") }
        if case .add("l", _) = u.assignments[1] {} else { Issue.record("append") }
        if case .prepend("l", _) = u.assignments[2] {} else { Issue.record("prepend") }
        if case .setElement("m", _, _) = u.assignments[3] {} else { Issue.record("element") }
        if case .subtract("c", _) = u.assignments[4] {} else { Issue.record("subtract") }
        if case .ifExists = u.lwt {} else { Issue.record("if exists") }
    }

    @Test func deleteForms() throws {
        guard case let .delete(d) = try parse("DELETE a, m['k'] FROM ks.t WHERE k = 1 AND c >= 2") else {
            Issue.record("not delete"); return
        }
        #expect(d.targets.count == 2)
        #expect(d.whereClause.count == 2)
        guard case let .delete(all) = try parse("delete from t where k = 1") else { Issue.record("delete"); return }
        #expect(all.targets.isEmpty)
    }

    @Test func createTableForms() throws {
        guard case let .createTable(c) = try parse("""
            CREATE TABLE IF NOT EXISTS ks.t (a int, b text, c timeuuid, d frozen<list<int>>, e map<text, int>,
              f tuple<int, text>, s int static, PRIMARY KEY ((a, b), c)) WITH CLUSTERING ORDER BY (c DESC)
              AND comment = 'hi' AND compaction = {'class': 'LeveledCompactionStrategy'}
            """) else { Issue.record("not create table"); return }
        #expect(c.ifNotExists)
        #expect(c.partitionKey == ["a", "b"])
        #expect(c.clusteringKey == ["c"])
        #expect(c.clusteringOrder["c"] == true)
        #expect(c.columns.count == 7)
        #expect(c.columns.last?.isStatic == true)
        #expect(c.options["comment"] != nil)
    }

    @Test func keyspaceAndMisc() throws {
        guard case let .createKeyspace(name, ine, opts) = try parse("CREATE KEYSPACE IF NOT EXISTS \"MyKs\" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1} AND durable_writes = false") else {
            Issue.record("create keyspace"); return
        }
        #expect(name == "MyKs" && ine && opts.count == 2)
        guard case .dropKeyspace("x", true) = try parse("DROP KEYSPACE IF EXISTS x") else { Issue.record("drop ks"); return }
        guard case .use("ks") = try parse("USE ks;") else { Issue.record("use"); return }
        guard case .truncate = try parse("TRUNCATE TABLE t") else { Issue.record("truncate"); return }
        guard case .dropTable(_, false) = try parse("DROP TABLE t") else { Issue.record("drop table"); return }
        guard case let .batch(children) = try parse("BEGIN BATCH INSERT INTO t (a) VALUES (1); UPDATE t SET b = 1 WHERE a = 2; APPLY BATCH") else {
            Issue.record("batch"); return
        }
        #expect(children.count == 2)
    }

    @Test func describeForms() throws {
        let cases: [(String, String)] = [
            ("DESCRIBE KEYSPACES", "keyspaces"), ("desc tables", "tables"), ("DESC KEYSPACE ks", "keyspace"),
            ("DESCRIBE TABLE ks.t", "table"), ("DESC SCHEMA", "schema"), ("DESC FULL SCHEMA", "schema"),
            ("DESCRIBE CLUSTER", "cluster"), ("DESC t", "generic"), ("DESCRIBE KEYSPACE", "keyspace"),
        ]
        for (q, kind) in cases {
            guard case let .describe(d) = try parse(q) else { Issue.record("\(q)"); continue }
            #expect(String(describing: d).hasPrefix(kind), "\(q) -> \(d)")
        }
    }

    @Test func syntaxErrors() {
        for q in ["SELEC * FROM t", "SELECT * FROM", "INSERT INTO t (a) VALUES", "CREATE TABLE t (a int",
                  "UPDATE t SET WHERE a = 1", "SELECT * FROM t WHERE", "", ";", "DROP", "SELECT * FROM t LIMIT"] {
            do {
                _ = try Parser.parse(q)
                Issue.record("\(q) parsed")
            } catch {
                #expect(error.code == 0x2000, "\(q): \(error)")
            }
        }
    }

    @Test func garbageNeverCrashes() {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["SELECT", "*", "FROM", "t", "WHERE", "(", ")", "[", "]", "{", "}", "'", "\"", ",", ";", "?",
                      ":x", "=", "<", ">=", "0x", "12", "1.5", "-", "IN", "AND", "--", "/*", "$$", "frozen<", ">",
                      "INSERT", "INTO", "VALUES", "CREATE", "TABLE", "KEYSPACE", "DESC", "null", "true", "\u{0}", "é"]
        let e = Engine.test()
        for _ in 0..<3000 {
            var q = ""
            for _ in 0..<Int.random(in: 0...12, using: &rng) { q += pieces.randomElement(using: &rng)! + " " }
            if Bool.random(using: &rng) {
                q = String(q.unicodeScalars.shuffled(using: &rng).map(Character.init))
            }
            _ = try? Parser.parse(q)
            _ = e.error(q)
        }
        var bytes = [UInt8](repeating: 0, count: 64)
        for _ in 0..<1000 {
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
            _ = e.error(String(decoding: bytes, as: UTF8.self))
        }
    }
}

@Suite struct EngineHostileInputTests {
    @Test func extremeLiteralsAreErrorsNotCrashes() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.x (k int PRIMARY KEY, d decimal, t timestamp, dt date, du duration, l list<int>)")
        for q in ["INSERT INTO ks.x (k, d) VALUES (1, 1e999999999999)",
                  "INSERT INTO ks.x (k, d) VALUES (1, 1e-2147483649)",
                  "INSERT INTO ks.x (k, t) VALUES (1, '999999999999999999-01-01')",
                  "INSERT INTO ks.x (k, dt) VALUES (1, '-99999999999-01-01')",
                  "INSERT INTO ks.x (k, du) VALUES (1, 99999999999999999h)",
                  "INSERT INTO ks.x (k, du) VALUES (1, 9223372036854775807y)",
                  "INSERT INTO ks.x (k) VALUES (99999999999999999999)",
                  "INSERT INTO ks.x (k, l) VALUES (1, " + String(repeating: "[", count: 10_000) + ")",
                  "CREATE TABLE ks.y (k " + String(repeating: "frozen<", count: 10_000) + "int)"] {
            #expect(e.error(q) != nil, "\(q.prefix(80))")
        }
        try e.run("INSERT INTO ks.x (k, d, du) VALUES (2, -12.5e-3, 1h30m)")
        let r = try e.rows("SELECT d, du FROM ks.x WHERE k = 2")[0]
        #expect(r["d"] == .decimal(scale: 4, unscaled: [0x83]))   // -125, minimal two's complement
        #expect(r["du"] == .duration(months: 0, days: 0, nanoseconds: 5_400_000_000_000))
    }
}

@Suite struct EngineMutationFuzzTests {
    /// Valid statements, randomly truncated and corrupted, run against a real schema: errors are fine,
    /// traps are not.
    @Test func corruptedStatementsNeverCrash() throws {
        let e = Engine.test()
        try e.setUpKeyspace()
        try e.run("CREATE TABLE ks.f (k int, c text, t timestamp, d date, tm time, l list<int>, m map<text, int>, s set<uuid>, PRIMARY KEY (k, c))")
        let seeds = [
            "INSERT INTO ks.f (k, c, t, d, tm, l, m, s) VALUES (1, 'a', '2020-01-01 10:00:00+0100', '2020-01-01', '10:00:00.5', [1, 2], {'x': 1}, {123e4567-e89b-12d3-a456-426614174000}) IF NOT EXISTS",
            "UPDATE ks.f SET l = l + [3], m['y'] = 2, l[0] = 5 WHERE k = 1 AND c = 'a' IF EXISTS",
            "DELETE m['x'], l[0] FROM ks.f WHERE k = 1 AND c IN ('a', 'b')",
            "SELECT k, count(*), token(k) FROM ks.f WHERE k IN (1, 2) AND c >= 'a' ORDER BY c DESC LIMIT 5 ALLOW FILTERING",
            "SELECT * FROM system_schema.columns WHERE keyspace_name = 'ks' AND table_name = 'f'",
            "BEGIN BATCH INSERT INTO ks.f (k, c) VALUES (2, 'b'); DELETE FROM ks.f WHERE k = 2 AND c = 'b'; APPLY BATCH",
            "DESCRIBE TABLE ks.f", "ALTER TABLE ks.f ADD z int", "ALTER TABLE ks.f DROP z",
            "SELECT * FROM ks.f WHERE token(k) > -100 AND token(k) <= 100",
        ]
        var rng = SystemRandomNumberGenerator()
        let junk = Array("'\"()[]{},;:?=<>-+.0123456789abcxyzTOKENWHERE \u{0}é")
        for _ in 0..<4000 {
            var q = Array(seeds.randomElement(using: &rng)!)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let i = Int.random(in: 0..<q.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: q[i] = junk.randomElement(using: &rng)!
                case 1: q.remove(at: i)
                default: q = Array(q.prefix(i))
                }
                if q.isEmpty { break }
            }
            _ = e.error(String(q))
        }
        // the engine still works afterwards
        #expect(e.error("SELECT * FROM ks.f") == nil)
    }
}
