import Compression
import Testing

/// Garbage and damaged blocks, from a fixed seed: every outcome must be an error or a body of exactly the
/// announced size within the limit, never a trap.
@Suite struct FuzzTests {
    static let limit = 1 << 20

    @Test(arguments: CompressionAlgorithm.allCases)
    func garbage(algorithm: CompressionAlgorithm) {
        let codec = FrameBodyCodec(algorithm)
        var rng = SeededGenerator(seed: 0xC0FF_EE00 ^ UInt64(algorithm.rawValue.utf8.count))
        for _ in 0..<20_000 {
            var body = (0..<Int.random(in: 0...96, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Mostly plausible lengths, so the block decoder itself sees the garbage.
            if Bool.random(using: &rng) { plausibleLength(&body, algorithm: algorithm, using: &rng) }
            check(codec, body)
        }
    }

    @Test(arguments: CompressionAlgorithm.allCases)
    func damagedValidBlocks(algorithm: CompressionAlgorithm) {
        let codec = FrameBodyCodec(algorithm)
        var rng = SeededGenerator(seed: 0x5EED ^ UInt64(algorithm.rawValue.utf8.count))
        let originals = [Payload.compressible.bytes(count: 3000), Payload.random.bytes(count: 500), Payload.compressible.bytes(count: 40)]
            .map(codec.compress)
        for _ in 0..<10_000 {
            var body = originals.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: body[Int.random(in: body.indices, using: &rng)] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
                case 1: body[Int.random(in: body.indices, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 2: body.removeLast(Int.random(in: 0...min(8, body.count - 1), using: &rng))
                default: body.append(UInt8.random(in: 0...255, using: &rng))
                }
            }
            check(codec, body)
        }
    }

    private func check(_ codec: FrameBodyCodec, _ body: [UInt8]) {
        do {
            let out = try codec.decompress(body, maxLength: Self.limit)
            #expect(out.count <= Self.limit)
        } catch {
            // Any CompressionError is fine; the type is checked by the compiler.
        }
    }

    private func plausibleLength(_ body: inout [UInt8], algorithm: CompressionAlgorithm, using rng: inout SeededGenerator) {
        let length = UInt32.random(in: 0...4096, using: &rng)
        switch algorithm {
        case .lz4:
            let prefix = withUnsafeBytes(of: length.bigEndian, Array.init)
            body = prefix + body
        case .snappy:
            var varint: [UInt8] = []
            var v = length
            while v >= 0x80 { varint.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            varint.append(UInt8(v))
            body = varint + body
        }
    }
}
