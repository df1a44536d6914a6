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
        switch text.withUTF8({ candidate(UnsafeRawBufferPointer($0), currentKeyspace: currentKeyspace) }) {
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
        candidate(utf8, currentKeyspace: currentKeyspace) != nil
    }

    private enum Candidate { case use, select }

    private static func candidate(_ s: UnsafeRawBufferPointer, currentKeyspace: String?) -> Candidate? {
        var i = 0
        while i < s.count, s[i] == 0x20 || s[i] == 0x09 || s[i] == 0x0A || s[i] == 0x0D { i += 1 }
        if startsWithUse(s, at: i) { return .use }
        guard startsWithSelect(s, at: i) || (i < s.count && (s[i] == 0x2D || s[i] == 0x2F)) else { return nil }
        return currentKeyspace == "system" || containsSystem(s, from: i) ? .select : nil
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

    /// `word` (lower-case ASCII) at `i`, in any case, not followed by an identifier character.
    @inline(__always)
    private static func startsWithWord(_ s: UnsafeRawBufferPointer, at i: Int, _ word: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8), length: Int) -> Bool {
        guard s.count - i >= length else { return false }
        let matches = withUnsafeBytes(of: word) { w in (0..<length).allSatisfy { s[i + $0] | 0x20 == w[$0] } }
        guard matches else { return false }
        guard i + length < s.count else { return true }
        let after = s[i + length]
        return !(after == 0x5F || (after | 0x20) >= 0x61 && (after | 0x20) <= 0x7A || (after >= 0x30 && after <= 0x39))
    }

    private static func startsWithUse(_ s: UnsafeRawBufferPointer, at i: Int) -> Bool {
        startsWithWord(s, at: i, (0x75, 0x73, 0x65, 0, 0, 0), length: 3)
    }

    private static func startsWithSelect(_ s: UnsafeRawBufferPointer, at i: Int) -> Bool {
        startsWithWord(s, at: i, (0x73, 0x65, 0x6C, 0x65, 0x63, 0x74), length: 6)
    }

    /// "system" anywhere from `i`, in any case: Horspool's search, so most bytes are skipped, not compared.
    private static func containsSystem(_ s: UnsafeRawBufferPointer, from i: Int) -> Bool {
        var j = i
        while j + 6 <= s.count {
            let last = s[j + 5] | 0x20
            if last == 0x6D, s[j] | 0x20 == 0x73, s[j + 1] | 0x20 == 0x79, s[j + 2] | 0x20 == 0x73,
               s[j + 3] | 0x20 == 0x74, s[j + 4] | 0x20 == 0x65 { return true }
            // How far the last compared byte lets the window move: to its last place in "syste", else past it.
            switch last {
            case 0x65: j += 1   // e
            case 0x74: j += 2   // t
            case 0x73: j += 3   // s
            case 0x79: j += 4   // y
            default: j += 6
            }
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
