/// Shared by every fuzz target (compiled into each one by scripts/fuzz.sh).

/// The input libFuzzer hands over, copied so the decoders see an ordinary array.
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// A property of the code under test that failed: trap, so libFuzzer saves the input as a crash.
func fuzzRequire(_ ok: Bool, _ what: @autoclosure () -> String) {
    if !ok { fatalError("fuzz property failed: \(what())") }
}
