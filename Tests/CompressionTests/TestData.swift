import Compression

/// SplitMix64: seeded, so a failing random case can be replayed.
struct SeededGenerator: RandomNumberGenerator {
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

enum Payload: String, CaseIterable, CustomStringConvertible {
    case compressible, random
    var description: String { rawValue }

    func bytes(count: Int) -> [UInt8] {
        switch self {
        case .compressible:
            // Row-like text: repetitive, as real result sets are.
            let text = Array("INSERT INTO ks.users (id, name, email) VALUES (42, 'alice', 'a@example.com');\n".utf8)
            return (0..<count).map { text[$0 % text.count] &+ UInt8(truncatingIfNeeded: $0 / 4096) }
        case .random:
            var rng = SeededGenerator(seed: UInt64(count) &+ 7)
            return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
    }
}

let frameLimit = 256 << 20

extension FrameBodyCodec {
    func compress(_ body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        body.withUnsafeBytes { compress($0, into: &out) }
        return out
    }

    func decompress(_ body: [UInt8], maxLength: Int = frameLimit) throws(CompressionError) -> [UInt8] {
        // withUnsafeBytes's rethrows loses the error type; go through Result to keep it typed.
        let result = body.withUnsafeBytes { raw in Result { () throws(CompressionError) in try decompress(raw, maxLength: maxLength) } }
        return try result.get()
    }
}

func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0)
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
}
