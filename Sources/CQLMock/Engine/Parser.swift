import Foundation
import CQLProtocol

/// Recursive-descent CQL parser over the lexer's tokens. Errors are Syntax errors worded like Cassandra's
/// ANTLR messages ("line 1:N ..."), never a crash.
struct Parser {
    var toks: [Lexeme]
    var pos = 0
    var markers: [BindMarker] = []
    /// Nesting of collection literals and types: bounded so hostile input cannot exhaust the stack.
    var depth = 0
    static let maxDepth = 64

    init(_ text: String) throws(EngineError) {
        toks = try Lexer.tokenize(text)
    }

    /// Parses one statement (a trailing `;` allowed) and its bind markers.
    static func parse(_ text: String) throws(EngineError) -> ParsedStatement {
        var p = try Parser(text)
        let st = try p.statement()
        while p.accept(";") {}
        guard p.cur == .end else { throw p.unexpected() }
        return ParsedStatement(statement: st, markers: p.markers)
    }

    // MARK: token helpers

    var cur: Token { toks[pos].token }
    func peekToken(_ k: Int) -> Token { toks[min(pos + k, toks.count - 1)].token }

    mutating func advance() { if pos < toks.count - 1 { pos += 1 } }

    func unexpected(expecting: String? = nil) -> EngineError {
        let l = toks[pos]
        if l.token == .end {
            return .syntax("line 1:\(l.offset) mismatched input '<EOF>'" + (expecting.map { " expecting \($0)" } ?? ""))
        }
        if let e = expecting {
            return .syntax("line 1:\(l.offset) mismatched input '\(l.token.display)' expecting \(e)")
        }
        return .syntax("line 1:\(l.offset) no viable alternative at input '\(l.token.display)'")
    }

    /// Whether the current token is the keyword `kw` (case-insensitive).
    func isKeyword(_ kw: String) -> Bool {
        if case let .word(w) = cur { return w.caseInsensitiveCompare(kw) == .orderedSame }
        return false
    }

    func isKeyword(_ kw: String, at k: Int) -> Bool {
        if case let .word(w) = peekToken(k) { return w.caseInsensitiveCompare(kw) == .orderedSame }
        return false
    }

    mutating func acceptKeyword(_ kw: String) -> Bool {
        if isKeyword(kw) { advance(); return true }
        return false
    }

    mutating func expectKeyword(_ kw: String) throws(EngineError) {
        guard acceptKeyword(kw) else { throw unexpected(expecting: "K_" + kw.uppercased()) }
    }

    func isSymbol(_ s: String) -> Bool { cur == .symbol(s) }

    mutating func accept(_ s: String) -> Bool {
        if cur == .symbol(s) { advance(); return true }
        return false
    }

    mutating func expect(_ s: String) throws(EngineError) {
        guard accept(s) else { throw unexpected(expecting: "'\(s)'") }
    }

    /// An identifier: unquoted folds to lower case, quoted keeps its case. Reserved words are refused.
    mutating func identifier() throws(EngineError) -> String {
        switch cur {
        case let .word(w):
            let l = w.lowercased()
            if Keywords.reserved.contains(l) { throw unexpected(expecting: "IDENT") }
            advance()
            return l
        case let .quoted(q):
            advance()
            return q
        default:
            throw unexpected(expecting: "IDENT")
        }
    }

    /// `name` or `ks.name`.
    mutating func qualifiedName() throws(EngineError) -> QualifiedName {
        let first = try identifier()
        if accept(".") { return QualifiedName(keyspace: first, name: try identifier()) }
        return QualifiedName(keyspace: nil, name: first)
    }

    mutating func ifNotExists() throws(EngineError) -> Bool {
        guard isKeyword("if") else { return false }
        advance()
        try expectKeyword("not")
        try expectKeyword("exists")
        return true
    }

    mutating func ifExists() throws(EngineError) -> Bool {
        guard isKeyword("if"), isKeyword("exists", at: 1) else { return false }
        advance(); advance()
        return true
    }

    // MARK: statements

    mutating func statement() throws(EngineError) -> Statement {
        guard case let .word(w) = cur else { throw unexpected() }
        switch w.lowercased() {
        case "select": return .select(try select())
        case "insert": return .insert(try insert())
        case "update": return .update(try update())
        case "delete": return .delete(try delete())
        case "begin": return try batch()
        case "create": return try create()
        case "alter": return try alter()
        case "drop": return try drop()
        case "use":
            advance()
            return .use(try identifier())
        case "truncate":
            advance()
            _ = acceptKeyword("table") || acceptKeyword("columnfamily")
            return .truncate(try qualifiedName())
        case "describe", "desc":
            advance()
            return .describe(try describe())
        default:
            throw unexpected()
        }
    }

    // MARK: terms

    mutating func bindMarker() -> Term? {
        switch cur {
        case .symbol("?"):
            advance()
            markers.append(BindMarker(name: nil))
            return .bind(markers.count - 1)
        case let .named(n):
            advance()
            markers.append(BindMarker(name: n))
            return .bind(markers.count - 1)
        default:
            return nil
        }
    }

    mutating func term() throws(EngineError) -> Term {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else { throw .syntax("line 1:\(toks[pos].offset) expression nested too deeply") }
        if let b = bindMarker() { return b }
        switch cur {
        case let .string(s): advance(); return .string(s)
        case let .integer(i): advance(); return .integer(i)
        case let .float(f): advance(); return .float(f)
        case let .uuid(u): advance(); return .uuid(u)
        case let .blob(b): advance(); return .blob(b)
        case .symbol("-"):
            advance()
            switch cur {
            case let .integer(i): advance(); return .integer("-" + i)
            case let .float(f): advance(); return .float("-" + f)
            case let .word(w) where w.lowercased() == "infinity": advance(); return .negative(.infinity)
            case let .word(w) where Parser.isDuration(w): advance(); return .duration("-" + w)
            default: throw unexpected()
            }
        case .symbol("["):
            advance()
            var items: [Term] = []
            if !accept("]") {
                repeat { items.append(try term()) } while accept(",")
                try expect("]")
            }
            return .list(items)
        case .symbol("{"):
            return try braceLiteral()
        case .symbol("("):
            advance()
            var items: [Term] = []
            repeat { items.append(try term()) } while accept(",")
            try expect(")")
            return .tuple(items)
        case let .word(w):
            let l = w.lowercased()
            switch l {
            case "null": advance(); return .null
            case "true": advance(); return .boolean(true)
            case "false": advance(); return .boolean(false)
            case "nan": advance(); return .nan
            case "infinity": advance(); return .infinity
            default:
                if Parser.isDuration(w) { advance(); return .duration(w) }
                if peekToken(1) == .symbol("(") {
                    advance(); advance()
                    var args: [Term] = []
                    if !accept(")") {
                        repeat { args.append(try term()) } while accept(",")
                        try expect(")")
                    }
                    return .function(l, args)
                }
                throw unexpected()
            }
        default:
            throw unexpected()
        }
    }

    /// `{}` `{a, b}` (set) or `{k: v, ...}` (map, or a UDT literal whose keys are field names).
    private mutating func braceLiteral() throws(EngineError) -> Term {
        try expect("{")
        if accept("}") { return .map([]) }
        let first: Term
        if case let .word(w) = cur, peekToken(1) == .symbol(":") {
            advance(); first = .string(w.lowercased())        // UDT field name
        } else if case let .quoted(q) = cur, peekToken(1) == .symbol(":") {
            advance(); first = .string(q)
        } else {
            first = try term()
        }
        if accept(":") {
            var pairs: [(Term, Term)] = [(first, try term())]
            while accept(",") {
                let k: Term
                if case let .word(w) = cur, peekToken(1) == .symbol(":") { advance(); k = .string(w.lowercased()) }
                else if case let .quoted(q) = cur, peekToken(1) == .symbol(":") { advance(); k = .string(q) }
                else { k = try term() }
                try expect(":")
                pairs.append((k, try term()))
            }
            try expect("}")
            return .map(pairs)
        }
        var items = [first]
        while accept(",") { items.append(try term()) }
        try expect("}")
        return .set(items)
    }

    static func isDuration(_ w: String) -> Bool {
        let u = w.uppercased()
        if u.hasPrefix("P") && u.count > 1 { return u.dropFirst().allSatisfy { $0.isNumber || "YMWDTHS".contains($0) } }
        guard let f = u.first, f.isNumber else { return false }
        return u.allSatisfy { $0.isNumber || "YMOWDHSUµN".contains($0) } && u.contains(where: { !$0.isNumber })
    }

    // MARK: types

    mutating func typeSyntax() throws(EngineError) -> TypeSyntax {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else { throw .syntax("line 1:\(toks[pos].offset) type nested too deeply") }
        if case let .string(custom) = cur { advance(); return .native(.custom(custom)) }
        let start = pos
        let name = try identifierOrTypeWord()
        switch name {
        case "list", "set", "frozen":
            try expect("<")
            let inner = try typeSyntax()
            try expect(">")
            return name == "list" ? .list(inner) : name == "set" ? .set(inner) : .frozen(inner)
        case "map":
            try expect("<")
            let k = try typeSyntax()
            try expect(",")
            let v = try typeSyntax()
            try expect(">")
            return .map(k, v)
        case "tuple":
            try expect("<")
            var ts: [TypeSyntax] = []
            repeat { ts.append(try typeSyntax()) } while accept(",")
            try expect(">")
            return .tuple(ts)
        default:
            if let n = CQLType.nativeTypes[name] { return .native(n) }
            pos = start
            return .user(try qualifiedName())
        }
    }

    /// Type names are not reserved words, and `set`/`map` etc. are keywords elsewhere.
    private mutating func identifierOrTypeWord() throws(EngineError) -> String {
        if case let .word(w) = cur { advance(); return w.lowercased() }
        if case let .quoted(q) = cur { advance(); return q }
        throw unexpected(expecting: "a type")
    }

    /// `WITH a = x AND b = {..}` option lists (also used for keyspace replication).
    mutating func optionList() throws(EngineError) -> [String: Term] {
        var opts: [String: Term] = [:]
        repeat {
            let name = try identifierOrTypeWord()
            try expect("=")
            if case let .word(w) = cur, !["true", "false", "null"].contains(w.lowercased()) {
                advance(); opts[name] = .string(w)     // bare words such as `compaction_class = foo`
            } else {
                opts[name] = try term()
            }
        } while acceptKeyword("and")
        return opts
    }
}
