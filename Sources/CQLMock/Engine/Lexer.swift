import Foundation

/// One CQL token. Unquoted identifiers and keywords arrive as `.word` (original spelling kept for keywords
/// that double as names); quoted identifiers as `.quoted` with their case intact.
enum Token: Equatable, Sendable {
    case word(String)          // unquoted identifier or keyword, as written
    case quoted(String)        // "Quoted" identifier
    case string(String)        // 'text' with '' unescaped, or $$text$$
    case integer(String)
    case float(String)
    case uuid(UUID)
    case blob([UInt8])
    case symbol(String)        // ( ) [ ] { } , ; . : = < > <= >= != + - * ?
    case named(String)         // :name bind marker
    case end

    var display: String {
        switch self {
        case let .word(w): return w
        case let .quoted(q): return "\"\(q)\""
        case let .string(s): return "'\(s)'"
        case let .integer(i), let .float(i): return i
        case let .uuid(u): return u.uuidString.lowercased()
        case let .blob(b): return "0x" + b.map { String(format: "%02x", $0) }.joined()
        case let .symbol(s): return s
        case let .named(n): return ":" + n
        case .end: return "<EOF>"
        }
    }
}

struct Lexeme: Sendable {
    var token: Token
    var offset: Int          // column of the first character, for "line 1:N" messages
}

/// Splits a query into tokens; a lexing error is a Syntax error as Cassandra reports it.
struct Lexer {
    private let s: [UInt8]
    private var i = 0

    init(_ text: String) { s = Array(text.utf8) }

    static func tokenize(_ text: String) throws(EngineError) -> [Lexeme] {
        var lx = Lexer(text)
        var out: [Lexeme] = []
        while true {
            let l = try lx.next()
            out.append(l)
            if l.token == .end { return out }
        }
    }

    private func peek(_ k: Int = 0) -> UInt8? { i + k < s.count ? s[i + k] : nil }

    private func fail(_ msg: String, at: Int) -> EngineError {
        .syntax("line 1:\(at) \(msg)")
    }

    private mutating func skipTrivia() throws(EngineError) {
        while let c = peek() {
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                i += 1
            } else if (c == UInt8(ascii: "-") && peek(1) == UInt8(ascii: "-"))
                        || (c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/")) {
                while let d = peek(), d != 0x0A { i += 1 }
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                let start = i
                i += 2
                while true {
                    guard let d = peek() else { throw fail("unterminated comment", at: start) }
                    if d == UInt8(ascii: "*") && peek(1) == UInt8(ascii: "/") { i += 2; break }
                    i += 1
                }
            } else {
                return
            }
        }
    }

    mutating func next() throws(EngineError) -> Lexeme {
        try skipTrivia()
        let start = i
        guard let c = peek() else { return Lexeme(token: .end, offset: i) }
        func text(_ a: Int, _ b: Int) -> String { String(decoding: s[a..<b], as: UTF8.self) }

        if c == UInt8(ascii: "'") {
            var bytes: [UInt8] = []
            i += 1
            while true {
                guard let d = peek() else { throw fail("token recognition error at: '\(text(start, i))'", at: start) }
                i += 1
                if d == UInt8(ascii: "'") {
                    if peek() == UInt8(ascii: "'") { bytes.append(d); i += 1 } else { break }
                } else {
                    bytes.append(d)
                }
            }
            return Lexeme(token: .string(String(decoding: bytes, as: UTF8.self)), offset: start)
        }
        if c == UInt8(ascii: "$") && peek(1) == UInt8(ascii: "$") {
            i += 2
            let bodyStart = i
            while i + 1 < s.count, !(s[i] == UInt8(ascii: "$") && s[i + 1] == UInt8(ascii: "$")) { i += 1 }
            guard i + 1 < s.count else { throw fail("unterminated $$ string", at: start) }
            let body = text(bodyStart, i)
            i += 2
            return Lexeme(token: .string(body), offset: start)
        }
        if c == UInt8(ascii: "\"") {
            var bytes: [UInt8] = []
            i += 1
            while true {
                guard let d = peek() else { throw fail("token recognition error at: '\(text(start, i))'", at: start) }
                i += 1
                if d == UInt8(ascii: "\"") {
                    if peek() == UInt8(ascii: "\"") { bytes.append(d); i += 1 } else { break }
                } else {
                    bytes.append(d)
                }
            }
            if bytes.isEmpty { throw fail("empty quoted identifier", at: start) }
            return Lexeme(token: .quoted(String(decoding: bytes, as: UTF8.self)), offset: start)
        }
        if let u = uuidAt(i) {
            i += 36
            return Lexeme(token: .uuid(u), offset: start)
        }
        if c == UInt8(ascii: "0") && (peek(1) == UInt8(ascii: "x") || peek(1) == UInt8(ascii: "X")) {
            i += 2
            var hex: [UInt8] = []
            while let d = peek(), Lexer.hexValue(d) != nil { hex.append(d); i += 1 }
            if let d = peek(), Lexer.isWordChar(d) { throw fail("token recognition error at: '\(text(start, i + 1))'", at: start) }
            guard hex.count % 2 == 0 else { throw fail("blob literal has an odd number of hex digits", at: start) }
            var out: [UInt8] = []
            out.reserveCapacity(hex.count / 2)
            var k = 0
            while k < hex.count {
                out.append(Lexer.hexValue(hex[k])! << 4 | Lexer.hexValue(hex[k + 1])!)
                k += 2
            }
            return Lexeme(token: .blob(out), offset: start)
        }
        if Lexer.isDigit(c) || (c == UInt8(ascii: ".") && peek(1).map(Lexer.isDigit) == true) {
            var isFloat = false
            while let d = peek(), Lexer.isDigit(d) { i += 1 }
            if peek() == UInt8(ascii: "."), peek(1).map(Lexer.isDigit) == true || !(peek(1).map(Lexer.isWordChar) ?? false) {
                isFloat = true
                i += 1
                while let d = peek(), Lexer.isDigit(d) { i += 1 }
            }
            if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                var k = 1
                if let sgn = peek(1), sgn == UInt8(ascii: "+") || sgn == UInt8(ascii: "-") { k = 2 }
                if let d = peek(k), Lexer.isDigit(d) {
                    isFloat = true
                    i += k
                    while let d = peek(), Lexer.isDigit(d) { i += 1 }
                }
            }
            if let d = peek(), Lexer.isWordChar(d) {
                // e.g. "12h" (duration) or "1abc": read as one word so the parser can judge it.
                while let d = peek(), Lexer.isWordChar(d) { i += 1 }
                return Lexeme(token: .word(text(start, i)), offset: start)
            }
            let t = text(start, i)
            return Lexeme(token: isFloat ? .float(t) : .integer(t), offset: start)
        }
        if Lexer.isWordChar(c) {
            while let d = peek(), Lexer.isWordChar(d) { i += 1 }
            return Lexeme(token: .word(text(start, i)), offset: start)
        }
        if c == UInt8(ascii: ":"), let d = peek(1), Lexer.isWordChar(d) {
            i += 1
            while let d = peek(), Lexer.isWordChar(d) { i += 1 }
            return Lexeme(token: .named(text(start + 1, i).lowercased()), offset: start)
        }
        if c == UInt8(ascii: ":"), peek(1) == UInt8(ascii: "\"") {
            i += 1
            let q = try next()
            guard case let .quoted(name) = q.token else { throw fail("bad bind marker", at: start) }
            return Lexeme(token: .named(name), offset: start)
        }
        let two: [String] = ["<=", ">=", "!="]
        if let d = peek(1) {
            let t = text(i, i + 2)
            if two.contains(t) { _ = d; i += 2; return Lexeme(token: .symbol(t), offset: start) }
        }
        let singles: Set<UInt8> = Set("()[]{},;.:=<>+-*?".utf8)
        if singles.contains(c) {
            i += 1
            return Lexeme(token: .symbol(String(UnicodeScalar(c))), offset: start)
        }
        throw fail("token recognition error at: '\(text(start, min(i + 1, s.count)))'", at: start)
    }

    /// An unquoted UUID constant: 8-4-4-4-12 hex digits, not glued to a longer word.
    private func uuidAt(_ p: Int) -> UUID? {
        guard p + 36 <= s.count else { return nil }
        for k in 0..<36 {
            let ch = s[p + k]
            if k == 8 || k == 13 || k == 18 || k == 23 {
                if ch != UInt8(ascii: "-") { return nil }
            } else if Lexer.hexValue(ch) == nil {
                return nil
            }
        }
        if p + 36 < s.count, Lexer.isWordChar(s[p + 36]) { return nil }
        return UUID(uuidString: String(decoding: s[p..<(p + 36)], as: UTF8.self))
    }

    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isWordChar(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }
}
