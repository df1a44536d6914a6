import CQLProtocol
import TestSupport
import Testing

@Suite struct InterceptedStatementTests {
    @Test(arguments: [
        ("USE ks", "ks"), ("use KS;", "ks"), ("  USE \"MixedCase\"", "MixedCase"), ("USE \"a\"\"b\"", "a\"b"),
    ])
    func useIsRecognisedAndNormalised(query: String, keyspace: String) {
        #expect(InterceptedStatement.classify(query) == .use(keyspace: keyspace))
    }

    @Test(arguments: ["USER list", "USE", "USE a b", "UPDATE t SET a = 1", "useless stuff"])
    func notAUse(query: String) {
        if case .use = InterceptedStatement.classify(query) { Issue.record("\(query) taken for USE") }
    }

    @Test func systemSelectsAreParsed() throws {
        let local = InterceptedStatement.classify("SELECT * FROM system.local WHERE key='local'")
        #expect(local == .systemSelect(SystemSelect(table: .local, selectors: [.all], hasWhere: true)))
        let peers = InterceptedStatement.classify("select peer, rpc_address as addr from SYSTEM.\"peers\"")
        #expect(peers == .systemSelect(SystemSelect(table: .peers, selectors: [.column("peer", alias: nil), .column("rpc_address", alias: "addr")], hasWhere: false)))
        let count = InterceptedStatement.classify("SELECT COUNT(*) AS n FROM system.peers_v2")
        #expect(count == .systemSelect(SystemSelect(table: .peersV2, selectors: [.countAll(alias: "n")], hasWhere: false)))
        let unqualified = InterceptedStatement.classify("SELECT now() FROM local", currentKeyspace: "system")
        #expect(unqualified == .systemSelect(SystemSelect(table: .local, selectors: [.now(alias: nil)], hasWhere: false)))
    }

    @Test(arguments: [
        "SELECT * FROM system_schema.tables", "SELECT * FROM ks.local", "SELECT * FROM local",
        "INSERT INTO system.local (key) VALUES ('x')", "SELECT * FROM system.size_estimates",
        "SELECT 'system.local' FROM t", "/* unterminated", "SELECT * FROM system.local WHERE key = 'unterminated",
    ])
    func everythingElseIsForwarded(query: String) {
        #expect(InterceptedStatement.classify(query) == nil)
    }

    @Test func randomTextNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("SELECT*FROMsystem.localUSE\"';,()-/ \n\tasCOUNTnow0123456789")
        for _ in 0..<5000 {
            let length = Int.random(in: 0..<60, using: &rng)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
            _ = InterceptedStatement.classify(text, currentKeyspace: Bool.random() ? "system" : nil)
        }
    }

    /// The proxy forwards whatever `mightIntercept` rejects without calling `classify`: so it must never reject
    /// something `classify` intercepts, and it should reject ordinary traffic.
    @Test func prefilterNeverHidesAnInterceptedStatement() {
        func might(_ q: String, _ ks: String?) -> Bool {
            var q = q
            return q.withUTF8 { InterceptedStatement.mightIntercept(utf8: UnsafeRawBufferPointer($0), currentKeyspace: ks) }
        }
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("SELECT*FROMsystem.localpeersUSE\"';,()-/ \n\tasCOUNTnow0123456789")
        var intercepted = 0
        for i in 0..<20_000 {
            let text: String
            if i % 4 == 0 {
                text = ["SELECT * FROM system.local", " use ks", "-- c\nSELECT peer FROM SYSTEM.PEERS", "USE \"Ks\";"][i / 4 % 4]
            } else {
                let length = Int.random(in: 0..<40, using: &rng)
                text = String((0..<length).map { _ in alphabet.randomElement(using: &rng)! })
            }
            let ks: String? = Bool.random(using: &rng) ? "system" : nil
            if InterceptedStatement.classify(text, currentKeyspace: ks) != nil {
                intercepted += 1
                #expect(might(text, ks), "prefilter rejects \(text.debugDescription)")
            }
        }
        #expect(intercepted > 1000)
        // The word-at-a-time scans against a byte-at-a-time reference: "system" in any case at every offset,
        // texts long and short (the 8-byte loads, the overlapping last word, the byte loop).
        func reference(_ text: String, _ inSystem: Bool) -> Bool {
            let b = Array(text.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            var i = 0
            while i < b.count, [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
            func word(_ w: String) -> Bool {
                let w = Array(w.utf8)
                guard b.count - i >= w.count, Array(b[i..<i + w.count]) == w else { return false }
                guard i + w.count < b.count else { return true }
                let after = b[i + w.count]
                return !(after == 0x5F || (after >= 0x61 && after <= 0x7A) || (after >= 0x30 && after <= 0x39))
            }
            if word("use") { return true }
            guard word("select") || (i < b.count && (b[i] == 0x2D || b[i] == 0x2F)) else { return false }
            if inSystem { return true }
            let target = Array("system".utf8)
            return b.count - i >= 6 && (i...(b.count - 6)).contains { Array(b[$0..<$0 + 6]) == target }
        }
        var seeded = SeededRNG(seed: 6)
        let pieces = ["SELECT ", "select", " ", "x", "ks.t", "SyStEm", "system", "SYSTE", "m", "M", "mm", "syst",
                      "\n", "use", "USE ", "-- ", "/*", "é", "_", "1", "where k = ?", "FROM "]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0..<14, using: &seeded)
            let text = (0..<count).map { _ in pieces.randomElement(using: &seeded)! }.joined()
            for inSystem in [false, true] {
                var t = text
                let fast = t.withUTF8 { InterceptedStatement.mightIntercept(utf8: UnsafeRawBufferPointer($0), inSystemKeyspace: inSystem) }
                #expect(fast == reference(text, inSystem), "\(text.debugDescription), in system: \(inSystem)")
            }
        }
        for ordinary in ["SELECT v FROM bench.kv WHERE k = ?", "INSERT INTO system_x.t (a) VALUES (1)",
                         "UPDATE ks.t SET v = 1 WHERE k = 2", "  select * from ks.users", "user_defined"] {
            #expect(!might(ordinary, nil), "\(ordinary) should be forwarded on sight")
        }
    }
}
