/// The statements a proxy answers itself instead of forwarding (see cql-proxy-compat.md, "What clients see").
public enum InterceptedStatement: Hashable, Sendable {
    /// `USE ks`: the normalised keyspace name (unquoted names lower-cased, quoted ones kept).
    case use(keyspace: String)
    case systemSelect(SystemSelect)

    /// Classifies a QUERY or PREPARE string; nil means "forward it". `currentKeyspace` resolves unqualified
    /// table names (a client that did `USE system`). Cheap for ordinary traffic: only a statement that
    /// starts with USE, or a SELECT mentioning "system", is tokenized.
    public static func classify(_ query: String, currentKeyspace: String? = nil) -> InterceptedStatement? {
        var text = query
        switch text.withUTF8({ candidate(UnsafeRawBufferPointer($0), inSystemKeyspace: currentKeyspace == "system") }) {
        case .use?:
            guard let tokens = CQLLexer.tokenize(query, limit: 8) else { return nil }
            return parseUse(tokens)
        case .select?:
            guard let tokens = CQLLexer.tokenize(query) else { return nil }
            return SystemSelect.parse(tokens, currentKeyspace: currentKeyspace).map { .systemSelect($0) }
        case nil:
            return nil
        }
    }

    /// Whether `classify` could intercept this query, from its raw UTF-8 alone: the proxy asks this first,
    /// so ordinary traffic is forwarded without making a String of the query (that and a scan through
    /// `String.UTF8View` were a fifth of the proxy's instructions for QUERY traffic).
    public static func mightIntercept(utf8: UnsafeRawBufferPointer, currentKeyspace: String?) -> Bool {
        candidate(utf8, inSystemKeyspace: currentKeyspace == "system") != nil
    }

    /// `mightIntercept` for a caller that knows whether its keyspace is "system" (no string to pass around).
    public static func mightIntercept(utf8: UnsafeRawBufferPointer, inSystemKeyspace: Bool) -> Bool {
        candidate(utf8, inSystemKeyspace: inSystemKeyspace) != nil
    }

    private enum Candidate { case use, select }

    private static func candidate(_ s: UnsafeRawBufferPointer, inSystemKeyspace: Bool) -> Candidate? {
        guard let raw = s.baseAddress else { return nil }
        let base = raw.bindMemory(to: UInt8.self, capacity: s.count)   // a frame's bytes; no other type is bound there
        let n = s.count
        var i = 0
        while i < n, base[i] == 0x20 || base[i] == 0x09 || base[i] == 0x0A || base[i] == 0x0D { i += 1 }
        guard i < n else { return nil }
        let lead = base[i] | 0x20
        if lead == 0x75 { return startsWithWord(base, n, at: i, "use", 0x65_73_75) ? .use : nil }
        guard lead == 0x73 && startsWithWord(base, n, at: i, "select", 0x74_63_65_6C_65_73)
                || base[i] == 0x2D || base[i] == 0x2F else { return nil }   // or a comment first
        return inSystemKeyspace || containsSystem(base, n, from: i) ? .select : nil
    }

    private static func parseUse(_ tokens: [CQLToken]) -> InterceptedStatement? {
        var rest = tokens[...]
        guard rest.popFirst() == .word("use") else { return nil }
        let name: String
        switch rest.popFirst() {
        case .word(let w)?: name = w
        case .quotedName(let q)?: name = q
        default: return nil
        }
        if rest.first == .symbol(";") { rest = rest.dropFirst() }
        return rest.isEmpty ? .use(keyspace: name) : nil
    }

    /// `word` (lower-case ASCII, at most 7 bytes; `packed` is the same bytes little-endian) at `i`, in any
    /// case, not followed by an identifier character. One 8-byte load when the text is long enough.
    @inline(__always)
    private static func startsWithWord(_ s: UnsafePointer<UInt8>, _ n: Int, at i: Int, _ word: StaticString, _ packed: UInt64) -> Bool {
        let length = word.utf8CodeUnitCount
        guard n - i >= length else { return false }
        if n - i >= 8 {
            let w = UnsafeRawPointer(s).loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
            let mask: UInt64 = (1 << (8 * UInt64(length))) - 1
            guard (w | 0x2020_2020_2020_2020) & mask == packed else { return false }
            return !isIdentifierByte(UInt8(truncatingIfNeeded: w >> (8 * UInt64(length))))
        }
        for k in 0..<length where s[i + k] | 0x20 != word.utf8Start[k] { return false }
        return i + length == n || !isIdentifierByte(s[i + length])
    }

    @inline(__always)
    private static func isIdentifierByte(_ b: UInt8) -> Bool {
        b == 0x5F || (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || (b >= 0x30 && b <= 0x39)
    }

    /// "system" anywhere from `i`, in any case. Sixteen places a round: an "sy" pair (two loads a byte apart,
    /// case folded) is rare in CQL, where the 'm' looked for before was in every FROM; only a word holding
    /// one is looked at byte by byte. (Swift's SIMD16 compares compiled to a loop over bytes here.)
    private static func containsSystem(_ s: UnsafePointer<UInt8>, _ n: Int, from i: Int) -> Bool {
        let raw = UnsafeRawPointer(s)
        @inline(__always) func isSystem(at p: Int) -> Bool {
            guard n - p >= 6 else { return false }
            let b = s + p
            return b[0] | 0x20 == 0x73 && b[1] | 0x20 == 0x79 && b[2] | 0x20 == 0x73 && b[3] | 0x20 == 0x74
                && b[4] | 0x20 == 0x65 && b[5] | 0x20 == 0x6D
        }
        /// Nonzero when one of the places p..<p+8 starts "sy" (any case); reads the bytes p..<p+9. A byte of
        /// `x` is zero exactly where a pair starts, and the zero-byte test is exact for "is there one".
        @inline(__always) func pairs(at p: Int) -> UInt64 {
            let fold: UInt64 = 0x2020_2020_2020_2020
            let first = raw.loadUnaligned(fromByteOffset: p, as: UInt64.self).littleEndian | fold
            let second = raw.loadUnaligned(fromByteOffset: p + 1, as: UInt64.self).littleEndian | fold
            let x = (first ^ 0x7373_7373_7373_7373) | (second ^ 0x7979_7979_7979_7979)
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
        }
        @inline(__always) func scan(_ from: Int, _ to: Int) -> Bool {
            var p = from
            while p < to {
                if isSystem(at: p) { return true }
                p += 1
            }
            return false
        }
        let end = n - 5   // places p < end leave room for the six bytes
        guard end > i else { return false }
        guard n - i >= 9 else { return scan(i, end) }
        var p = i
        while p + 17 <= n {   // sixteen places per round, one branch
            if pairs(at: p) | pairs(at: p + 8) != 0 && scan(p, min(p + 16, end)) { return true }
            p += 16
        }
        while p < end {
            // Eight places at most, in a word that ends by the text's end (places seen twice are harmless).
            let q = min(p, n - 9)
            if pairs(at: q) != 0 && scan(q, min(q + 8, end)) { return true }
            p = q + 8
        }
        return false
    }
}

/// A SELECT on one of the system tables the proxy answers.
public struct SystemSelect: Hashable, Sendable {
    public enum Table: String, Hashable, Sendable, CaseIterable {
        case local, peers
        case peersV2 = "peers_v2"
        case schemaKeyspaces = "schema_keyspaces"
        case schemaColumnFamilies = "schema_columnfamilies"
        case schemaColumns = "schema_columns"
        case schemaUserTypes = "schema_usertypes"
    }

    public enum Selector: Hashable, Sendable {
        case all
        case column(String, alias: String?)
        case countAll(alias: String?)
        case now(alias: String?)
    }

    public var table: Table
    public var selectors: [Selector]
    /// `WHERE key = 'local'`-style filters are accepted; the proxy's tables have at most one matching row.
    public var hasWhere: Bool

    public init(table: Table, selectors: [Selector], hasWhere: Bool) {
        self.table = table
        self.selectors = selectors
        self.hasWhere = hasWhere
    }

    static func parse(_ tokens: [CQLToken], currentKeyspace: String?) -> SystemSelect? {
        var rest = tokens[...]
        guard rest.popFirst() == .word("select") else { return nil }
        var selectors: [Selector] = []
        while true {
            guard let selector = parseSelector(&rest) else { return nil }
            selectors.append(selector)
            if rest.first == .symbol(",") { rest = rest.dropFirst(); continue }
            break
        }
        guard rest.popFirst() == .word("from") else { return nil }
        var keyspace = currentKeyspace
        guard var tableName = name(rest.popFirst()) else { return nil }
        if rest.first == .symbol(".") {
            rest = rest.dropFirst()
            keyspace = tableName
            guard let t = name(rest.popFirst()) else { return nil }
            tableName = t
        }
        guard keyspace == "system", let table = Table(rawValue: tableName) else { return nil }
        let hasWhere = rest.first == .word("where")
        return SystemSelect(table: table, selectors: selectors, hasWhere: hasWhere)
    }

    private static func name(_ token: CQLToken?) -> String? {
        switch token {
        case .word(let w)?: return w
        case .quotedName(let q)?: return q
        default: return nil
        }
    }

    private static func parseSelector(_ rest: inout ArraySlice<CQLToken>) -> Selector? {
        let selector: Selector
        switch rest.popFirst() {
        case .symbol("*")?:
            return .all
        case .word("count")? where rest.first == .symbol("("):
            rest = rest.dropFirst()
            guard let t = rest.first, t == .symbol("*") || t == .number("1") else { return nil }
            rest = rest.dropFirst()
            guard rest.popFirst() == .symbol(")") else { return nil }
            selector = .countAll(alias: nil)
        case .word("now")? where rest.first == .symbol("("):
            rest = rest.dropFirst()
            guard rest.popFirst() == .symbol(")") else { return nil }
            selector = .now(alias: nil)
        case let token?:
            guard let column = name(token), column != "from" else { return nil }
            selector = .column(column, alias: nil)
        case nil:
            return nil
        }
        guard rest.first == .word("as") else { return selector }
        rest = rest.dropFirst()
        guard let alias = name(rest.popFirst()) else { return nil }
        switch selector {
        case .column(let c, _): return .column(c, alias: alias)
        case .countAll: return .countAll(alias: alias)
        case .now: return .now(alias: alias)
        case .all: return nil
        }
    }
}
