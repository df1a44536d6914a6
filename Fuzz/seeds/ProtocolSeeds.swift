import Foundation

/// Writes the seed corpora of the frame, value and statement targets (run by Fuzz/seeds/generate.sh, which
/// compiles this file into the CQLProtocol module together with Tests/CQLProtocolTests/Samples.swift).
@main
enum ProtocolSeeds {
    static func main() throws {
        let root = URL(fileURLWithPath: CommandLine.arguments[1])
        try write(frames(), to: root.appendingPathComponent("frame"))
        try write(values(), to: root.appendingPathComponent("value"))
        try write(queries.map { Array($0.utf8) }, to: root.appendingPathComponent("statement"))
    }

    /// Files named by content index, replacing what was there.
    static func write(_ seeds: [[UInt8]], to dir: URL) throws {
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (i, seed) in seeds.enumerated() {
            try Data(seed).write(to: dir.appendingPathComponent(String(format: "seed-%03d", i)))
        }
        print("\(dir.lastPathComponent): \(seeds.count) seeds")
    }

    /// Every sample message for v3, v4 and v5, the golden frames of the tests, and envelope variants.
    static func frames() throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        for version in [ProtocolVersion.v3, .v4, .v5] {
            for (i, m) in Samples.requests(version).enumerated() {
                out.append(Frame(request: m, version: version, stream: StreamID(Int16(i))).encode())
            }
            for (i, m) in Samples.responses(version).enumerated() {
                out.append(Frame(response: m, version: version, stream: StreamID(Int16(i))).encode())
            }
        }
        let env = FrameEnvelope(
            tracingID: UUID(uuidString: "6B0D6D2A-1C8E-4E4F-9D1B-0C2A3E4F5A6B"), warnings: ["w1", "w2"],
            customPayload: ["k": [1, 2], "n": nil])
        let rows = Samples.responses(.v4).first { if case .result(.rows) = $0 { true } else { false } }!
        out.append(Frame(header: FrameHeader(version: .v4, isResponse: true, flags: [.tracing, .warning, .customPayload],
                                             stream: StreamID(1), opcode: .result),
                         body: env.encode() + rows.encodeBody(version: .v4)).encode())
        let query = Samples.requests(.v4).first { if case .query = $0 { true } else { false } }!
        let payload = FrameEnvelope(customPayload: ["k": [1]])
        out.append(Frame(header: FrameHeader(version: .v4, isResponse: false, flags: [.customPayload],
                                             stream: StreamID(2), opcode: .query),
                         body: payload.encode() + query.encodeBody(version: .v4)).encode())
        return out + (try goldenFrames())
    }

    /// The `hex("...")` literals of GoldenFrameTests.swift, which are whole frames written from the spec.
    static func goldenFrames() throws -> [[UInt8]] {
        let path = URL(fileURLWithPath: CommandLine.arguments[2])
        let text = try String(contentsOf: path, encoding: .utf8)
        return text.components(separatedBy: "hex(").dropFirst().compactMap { chunk in
            guard let end = chunk.range(of: "\")") else { return nil }
            let bytes = hex(String(chunk[..<end.lowerBound]).replacingOccurrences(of: "\"", with: ""))
            return bytes.count >= FrameHeader.size ? bytes : nil
        }
    }

    /// (type, value) pairs, each written twice: in the compact type form and as 0xFF + a wire [option].
    static func values() -> [[UInt8]] {
        let udt = DataType.UserType(keyspace: "ks", name: "addr", fields: [
            .init(name: "street", type: .varchar), .init(name: "zip", type: .int), .init(name: "tags", type: .set(.ascii)),
        ])
        let pairs: [(DataType, CQLValue)] = [
            (.ascii, .text("abc")), (.varchar, .text("héllo")), (.bigint, .int(-5)), (.counter, .int(7)),
            (.timestamp, .int(1_700_000_000_000)), (.time, .int(3_600_000_000_000)), (.int, .int(-1)),
            (.smallint, .int(300)), (.tinyint, .int(-128)), (.varint, .varint([0x00, 0x80])),
            (.decimal, .decimal(scale: 2, unscaled: [0x30, 0x39])), (.boolean, .boolean(true)), (.double, .double(1.5)),
            (.float, .float(-0.25)), (.uuid, .uuid(UUID(uuidString: "6B0D6D2A-1C8E-4E4F-9D1B-0C2A3E4F5A6B")!)),
            (.timeuuid, .uuid(UUID(uuidString: "00000000-0000-1000-8000-000000000000")!)),
            (.inet, .inet([127, 0, 0, 1])), (.inet, .inet(Array(repeating: 0, count: 15) + [1])), (.date, .date(1 << 31)),
            (.duration, .duration(months: 1, days: 2, nanoseconds: 3_000_000_000)), (.blob, .blob([0xCA, 0xFE])),
            (.custom("org.example.Custom"), .custom([1, 2, 3])),
            (.list(.int), .list([.int(1), .null, .int(3)])), (.set(.varchar), .list([.text("a"), .text("b")])),
            (.map(.varchar, .list(.int)), .map([(.text("k"), .list([.int(1)])), (.text("e"), .list([]))])),
            (.udt(udt), .tuple([.text("Main St"), .int(12345), .list([.text("x")])])), (.udt(udt), .tuple([.text("short")])),
            (.tuple([.int, .varchar, .boolean]), .tuple([.int(1), .text("t"), .null])),
            (.list(.map(.int, .tuple([.bigint, .set(.uuid)]))), .list([.map([(.int(1), .tuple([.int(2), .list([])]))])])),
        ]
        var out: [[UInt8]] = []
        for (type, value) in pairs {
            let content = (try? value.encode(as: type)).flatMap { $0 } ?? []
            out.append(compact(type) + content)
            var w = CQLWriter()
            w.writeOption(type, version: .v5)
            out.append([0xFF] + w.bytes + content)
        }
        return out
    }

    /// The inverse of `FuzzTypeReader`.
    static func compact(_ type: DataType) -> [UInt8] {
        let base = UInt8(FuzzTypeReader.scalars.count)
        switch type {
        case .list(let e): return [base] + compact(e)
        case .set(let e): return [base + 1] + compact(e)
        case .map(let k, let v): return [base + 2] + compact(k) + compact(v)
        case .udt(let u): return [base + 3, UInt8(u.fields.count)] + u.fields.flatMap { compact($0.type) }
        case .tuple(let ts): return [base + 4, UInt8(ts.count)] + ts.flatMap(compact)
        case .custom: return [UInt8(FuzzTypeReader.scalars.count - 1)]
        default: return [UInt8(FuzzTypeReader.scalars.firstIndex(of: type)!)]
        }
    }

    static let queries = [
        "USE ks", "use KS;", "  USE \"MixedCase\"", "USE \"a\"\"b\"", "USER list", "USE a b",
        "SELECT * FROM system.local WHERE key='local'",
        "select peer, rpc_address as addr from SYSTEM.\"peers\"", "SELECT COUNT(*) AS n FROM system.peers_v2",
        "SELECT count(1) FROM system.peers", "SELECT now() FROM local", "SELECT * FROM system_schema.tables",
        "SELECT * FROM system.schema_keyspaces", "SELECT keyspace_name, columnfamily_name FROM system.schema_columnfamilies",
        "/* comment */ SELECT * FROM system.local", "-- line\nSELECT * FROM system.peers",
        "SELECT * FROM ks.local", "SELECT 'system.local' FROM t", "/* unterminated",
        "SELECT * FROM system.local WHERE key = 'unterminated", "SELECT*FROM\"system\".\"local\"",
        "SELECT * FROM ks.t WHERE k = 1", "select now FROM ks.t", "SELECT token(k), ttl(v) FROM ks.t LIMIT 10",
        "INSERT INTO ks.t (k, v) VALUES (?, ?) USING TTL 10", "INSERT INTO ks.t (k, v) VALUES (1, 'a') IF NOT EXISTS",
        "INSERT INTO ks.t (k, id) VALUES (1, uuid())", "INSERT INTO ks.t (k, ts) VALUES (1, currentTimestamp())",
        "UPDATE ks.t SET v = 'x' WHERE k = 1 IF v = 'y'", "UPDATE ks.c SET hits = hits - ? WHERE k = 1",
        "UPDATE ks.t SET l = [0] + l WHERE k = 1", "UPDATE ks.t SET m = m + {'a': 1} WHERE k = 1",
        "UPDATE ks.t SET l[0] = 5, \"Q\" = $$dollar 'quoted'$$ WHERE k = 0x0aFF AND f = -1.5e10",
        "DELETE FROM ks.t WHERE k = 1 IF EXISTS",
        "BEGIN BATCH INSERT INTO t (k) VALUES (1); UPDATE t SET v = 2 WHERE k = 1; APPLY BATCH",
        "BEGIN COUNTER BATCH UPDATE c SET n = n + 1 WHERE k = 1; APPLY BATCH",
        "INSERT INTO t (k, v) VALUES (1, 'if now() + x')", "CREATE TABLE ks.t (k int PRIMARY KEY)", "TRUNCATE ks.t",
        "SELECT * FROM t WHERE id = 6b0d6d2a-1c8e-4e4f-9d1b-0c2a3e4f5a6b", "'unterminated", "",
    ]
}
