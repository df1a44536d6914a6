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

