import CQLProtocol

/// The statement parsers that read client text: the system-table classifier and the idempotency check,
/// on the input as UTF-8 (when valid) and lossy-decoded (invalid sequences become U+FFFD).
@_cdecl("LLVMFuzzerTestOneInput")
public func statementFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    let lossy = String(decoding: input, as: UTF8.self)
    StatementFuzz.run(lossy)
    if let strict = String(validating: input, as: UTF8.self) {
        fuzzRequire(strict == lossy, "valid UTF-8 decodes two ways")
    } else {
        // Invalid bytes as Latin-1: every byte a scalar, so the lexer sees non-ASCII letters and quotes.
        StatementFuzz.run(String(input.map { Character(Unicode.Scalar($0)) }))
    }
    return 0
}

enum StatementFuzz {
    static func run(_ query: String) {
        let plain = InterceptedStatement.classify(query)
        let inKeyspace = InterceptedStatement.classify(query, currentKeyspace: "system")
        // A current keyspace only resolves unqualified names: whatever classifies without one is unchanged.
        if let plain { fuzzRequire(inKeyspace == plain, "USE system changed \(plain) to \(String(describing: inKeyspace))") }
        _ = Idempotency.isIdempotent(query)
    }
}
