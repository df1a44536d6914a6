import CQLProtocol
import Testing

/// The retry rules of cql-proxy-compat.md, table-driven.
@Suite struct IdempotencyTests {
    @Test(arguments: [
        ("SELECT * FROM ks.t WHERE k = 1", true),
        ("select now FROM ks.t", true),
        ("SELECT now() FROM ks.t", false),
        ("INSERT INTO ks.t (k, v) VALUES (1, 'a')", true),
        ("INSERT INTO ks.t (k, v) VALUES (?, ?) USING TTL 10", true),
        ("INSERT INTO ks.t (k, v) VALUES (1, 'a') IF NOT EXISTS", false),
        ("INSERT INTO ks.t (k, id) VALUES (1, uuid())", false),
        ("INSERT INTO ks.t (k, ts) VALUES (1, now())", false),
        ("INSERT INTO ks.t (k, ts) VALUES (1, currentTimestamp())", false),
        ("UPDATE ks.t SET v = 'x' WHERE k = 1", true),
        ("UPDATE ks.t SET v = 'x' WHERE k = 1 IF v = 'y'", false),
        ("UPDATE ks.t SET v = 'x' WHERE k = 1 IF EXISTS", false),
        ("UPDATE ks.c SET hits = hits + 1 WHERE k = 1", false),
        ("UPDATE ks.c SET hits = hits - ? WHERE k = 1", false),
        ("UPDATE ks.t SET l = l + [1, 2] WHERE k = 1", false),
        ("UPDATE ks.t SET l = [0] + l WHERE k = 1", false),
        ("UPDATE ks.t SET s = s + {'a'} WHERE k = 1", true),
        ("UPDATE ks.t SET m = m + {'a': 1} WHERE k = 1", true),
        ("UPDATE ks.t SET l = [1, 2] WHERE k = 1", true),
        ("UPDATE ks.t SET l[0] = 5 WHERE k = 1", true),
        ("UPDATE ks.t SET \"Hits\" = \"Hits\" + 1 WHERE k = 1", false),
        ("DELETE FROM ks.t WHERE k = 1", true),
        ("DELETE FROM ks.t WHERE k = 1 IF EXISTS", false),
        ("BEGIN BATCH INSERT INTO t (k) VALUES (1); UPDATE t SET v = 2 WHERE k = 1; APPLY BATCH", true),
        ("BEGIN BATCH INSERT INTO t (k) VALUES (1) IF NOT EXISTS; APPLY BATCH", false),
        ("BEGIN COUNTER BATCH UPDATE c SET n = n + 1 WHERE k = 1; APPLY BATCH", false),
        ("INSERT INTO t (k, v) VALUES (1, 'if now() + x')", true),
        ("CREATE TABLE ks.t (k int PRIMARY KEY)", false),
        ("DROP KEYSPACE ks", false),
        ("TRUNCATE ks.t", false),
        ("USE ks", false),
        ("", false),
        ("'unterminated", false),
    ])
    func classifies(query: String, idempotent: Bool) {
        #expect(Idempotency.isIdempotent(query) == idempotent, "\(query)")
    }
}
