@testable import CQLProtocol

/// Bytes from hex written as in the spec ("04 00 00 01"); spaces, newlines and `|` are ignored.
func hex(_ s: String) -> [UInt8] {
    let digits = s.filter(\.isHexDigit)
    precondition(digits.count % 2 == 0, "odd hex digit count in test data")
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

func hexString(_ b: [UInt8]) -> String {
    b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")
}

/// Writes with a fresh writer and returns the bytes.
func written(_ body: (inout CQLWriter) -> Void) -> [UInt8] {
    var w = CQLWriter()
    body(&w)
    return w.bytes
}

/// Reads `bytes` with `body` and checks that every byte was consumed.
func readAll<R>(_ bytes: [UInt8], _ body: (inout CQLReader) throws(CQLProtocolError) -> R) throws(CQLProtocolError) -> R {
    try CQLReader.read(bytes) { (r: inout CQLReader) throws(CQLProtocolError) -> R in
        let v = try body(&r)
        guard r.isAtEnd else { throw .malformed("\(r.remaining) bytes left over") }
        return v
    }
}

/// Deterministic RNG (SplitMix64) so randomized tests replay exactly.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
