/// The statements a proxy answers itself instead of forwarding (see cql-proxy-compat.md, "What clients see").
public enum InterceptedStatement: Hashable, Sendable {
    /// `USE ks`: the normalised keyspace name (unquoted names lower-cased, quoted ones kept).
    case use(keyspace: String)
    case systemSelect(SystemSelect)

    /// Classifies a QUERY or PREPARE string; nil means "forward it". `currentKeyspace` resolves unqualified
    /// table names (a client that did `USE system`). Cheap for ordinary traffic: only a statement that
    /// starts with USE, or a SELECT mentioning "system", is tokenized.
    public static func classify(_ query: String, currentKeyspace: String? = nil) -> InterceptedStatement? {
        var utf8 = query.utf8[...]
        while let c = utf8.first, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { utf8 = utf8.dropFirst() }
        if startsWithWord(utf8, "use") {
            guard let tokens = CQLLexer.tokenize(query, limit: 8) else { return nil }
            return parseUse(tokens)
        }
        guard startsWithWord(utf8, "select") || startsWithComment(utf8) else { return nil }
        guard containsSystem(utf8) || currentKeyspace == "system" else { return nil }
        guard let tokens = CQLLexer.tokenize(query) else { return nil }
        return SystemSelect.parse(tokens, currentKeyspace: currentKeyspace).map { .systemSelect($0) }
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

    private static func startsWithWord(_ s: Substring.UTF8View, _ word: StaticString) -> Bool {
        let w = UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard s.count > w.count else { return s.count == w.count && matchesIgnoringCase(s, w) }
        guard matchesIgnoringCase(s, w) else { return false }
        let after = s[s.index(s.startIndex, offsetBy: w.count)]
        return !(after == 0x5F || (after | 0x20) >= 0x61 && (after | 0x20) <= 0x7A || (after >= 0x30 && after <= 0x39))
    }

    private static func matchesIgnoringCase(_ s: Substring.UTF8View, _ w: UnsafeRawBufferPointer) -> Bool {
        var idx = s.startIndex
        for b in w {
            guard idx < s.endIndex, s[idx] | 0x20 == b else { return false }
            idx = s.index(after: idx)
        }
        return true
    }

    private static func startsWithComment(_ s: Substring.UTF8View) -> Bool {
        guard let c = s.first else { return false }
        return c == 0x2D || c == 0x2F
    }

    private static func containsSystem(_ s: Substring.UTF8View) -> Bool {
        let needle: [UInt8] = Array("system".utf8)
        var matched = 0
        for b in s {
            matched = (b | 0x20) == needle[matched] ? matched + 1 : ((b | 0x20) == needle[0] ? 1 : 0)
            if matched == needle.count { return true }
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
