/// A token of the small CQL lexer the proxy uses to recognise the statements it answers itself
/// (USE, SELECT from system tables). Anything it does not understand is simply forwarded.
public enum CQLToken: Hashable, Sendable {
    /// An unquoted identifier or keyword, folded to lower case as CQL does.
    case word(String)
    /// A "quoted" identifier, case kept.
    case quotedName(String)
    case string(String)
    case number(String)
    case symbol(Character)
}

/// Splits a query into tokens. Pure and total: malformed input yields `nil`, never a trap.
public struct CQLLexer {
    private let scalars: [Unicode.Scalar]
    private var i = 0

    public init(_ text: String) { scalars = Array(text.unicodeScalars) }

    /// All tokens, or nil on an unterminated string, quoted name or comment.
    public static func tokenize(_ text: String, limit: Int = 4096) -> [CQLToken]? {
        var lexer = CQLLexer(text)
        var out: [CQLToken] = []
        while out.count < limit {
            switch lexer.next() {
            case .none: return out
            case .some(.none): return nil
            case .some(.some(let token)): out.append(token)
            }
        }
        return out
    }

    /// nil at the end; .some(nil) on malformed input.
    public mutating func next() -> CQLToken?? {
        guard skipSpaceAndComments() else { return .some(.none) }
        guard i < scalars.count else { return .none }
        let c = scalars[i]
        if c == "'" { return .some(quoted(by: "'").map { CQLToken.string($0) }) }
        if c == "\"" { return .some(quoted(by: "\"").map { CQLToken.quotedName($0) }) }
        if isWordStart(c) {
            let start = i
            while i < scalars.count, isWordPart(scalars[i]) { i += 1 }
            return .some(.word(String(String.UnicodeScalarView(scalars[start..<i])).lowercased()))
        }
        if c.properties.numericType != nil || (c == "-" && i + 1 < scalars.count && scalars[i + 1].properties.numericType != nil) {
            let start = i
            i += 1
            while i < scalars.count, scalars[i].properties.numericType != nil || scalars[i] == "." || scalars[i] == "e" || scalars[i] == "E" {
                i += 1
            }
            return .some(.number(String(String.UnicodeScalarView(scalars[start..<i]))))
        }
        i += 1
        return .some(.symbol(Character(c)))
    }

    /// False on an unterminated block comment.
    private mutating func skipSpaceAndComments() -> Bool {
        while i < scalars.count {
            let c = scalars[i]
            if c.properties.isWhitespace { i += 1; continue }
            let next: Unicode.Scalar? = i + 1 < scalars.count ? scalars[i + 1] : nil
            if (c == "-" && next == "-") || (c == "/" && next == "/") {
                while i < scalars.count, scalars[i] != "\n" { i += 1 }
                continue
            }
            if c == "/" && next == "*" {
                i += 2
                while i + 1 < scalars.count, !(scalars[i] == "*" && scalars[i + 1] == "/") { i += 1 }
                if i + 1 >= scalars.count { return false }
                i += 2
                continue
            }
            return true
        }
        return true
    }

    /// A quoted run where the quote is escaped by doubling it.
    private mutating func quoted(by quote: Unicode.Scalar) -> String? {
        i += 1
        var out = String.UnicodeScalarView()
        while i < scalars.count {
            if scalars[i] == quote {
                if i + 1 < scalars.count, scalars[i + 1] == quote {
                    out.append(quote)
                    i += 2
                    continue
                }
                i += 1
                return String(out)
            }
            out.append(scalars[i])
            i += 1
        }
        return nil
    }

    private func isWordStart(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic }
    private func isWordPart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic || c.properties.numericType != nil
    }
}
