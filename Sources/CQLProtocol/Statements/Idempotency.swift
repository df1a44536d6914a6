/// Whether a statement may be sent twice with the same effect, so the proxy may retry it on another node
/// after an error that leaves its fate unknown (cql-proxy-compat.md, "Retries").
///
/// Idempotent: SELECT; INSERT/UPDATE/DELETE without a lightweight transaction (`IF ...`), without a
/// non-deterministic function (now(), uuid(), current*()), and without counter or list-append arithmetic.
/// Everything else (DDL, TRUNCATE, USE, text we cannot read) is treated as not idempotent: when unsure,
/// never retry.
public enum Idempotency {
    public static func isIdempotent(_ query: String) -> Bool {
        guard let tokens = CQLLexer.tokenize(query, limit: 100_000) else { return false }
        guard case .word(let first)? = tokens.first else { return false }
        switch first {
        case "select":
            return !containsNonDeterministicCall(tokens)
        case "insert", "update", "delete":
            return !hasConditional(tokens) && !containsNonDeterministicCall(tokens) && !hasNonIdempotentArithmetic(tokens)
        case "begin":
            // A batch in one QUERY: every statement inside must qualify, so apply the same rules to all.
            return !hasConditional(tokens) && !containsNonDeterministicCall(tokens) && !hasNonIdempotentArithmetic(tokens)
                && !tokens.contains(.word("counter"))
        default:
            return false
        }
    }

    static let nonDeterministic: Set<String> = [
        "now", "uuid", "currenttimeuuid", "currenttimestamp", "currentdate", "currenttime",
    ]

    /// `now()` and friends (a bare column called `now` is fine: only a call counts).
    private static func containsNonDeterministicCall(_ tokens: [CQLToken]) -> Bool {
        for i in tokens.indices.dropLast() {
            if case .word(let w) = tokens[i], nonDeterministic.contains(w), tokens[i + 1] == .symbol("(") { return true }
        }
        return false
    }

    /// `IF NOT EXISTS`, `IF EXISTS` or `IF <condition>` outside string literals: a lightweight transaction.
    private static func hasConditional(_ tokens: [CQLToken]) -> Bool {
        tokens.contains(.word("if"))
    }

    /// `c = c + x`, `c = c - x` (counters, list append/remove) and `l = [..] + l` (list prepend).
    /// Adding to a set or map (`s = s + {...}`) repeats harmlessly, so it stays idempotent.
    private static func hasNonIdempotentArithmetic(_ tokens: [CQLToken]) -> Bool {
        var i = 0
        while i + 4 < tokens.count {
            guard let column = name(tokens[i]), tokens[i + 1] == .symbol("=") else { i += 1; continue }
            // column = column (+|-) operand
            if name(tokens[i + 2]) == column, tokens[i + 3] == .symbol("+") || tokens[i + 3] == .symbol("-") {
                if tokens[i + 4] != .symbol("{") { return true }
            }
            // column = [ ... ] + column
            if tokens[i + 2] == .symbol("[") {
                var depth = 0
                var j = i + 2
                while j < tokens.count {
                    if tokens[j] == .symbol("[") { depth += 1 }
                    if tokens[j] == .symbol("]") { depth -= 1; if depth == 0 { break } }
                    j += 1
                }
                if j + 2 < tokens.count, tokens[j + 1] == .symbol("+"), name(tokens[j + 2]) == column { return true }
            }
            i += 1
        }
        return false
    }

    private static func name(_ token: CQLToken) -> String? {
        switch token {
        case .word(let w): return w
        case .quotedName(let q): return q
        default: return nil
        }
    }
}
