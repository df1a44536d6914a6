import Compression
import Testing

@Suite struct RoundTripTests {
    static let sizes = [0, 1, 100, 64 << 10, 1 << 20]

    @Test(arguments: CompressionAlgorithm.allCases, Payload.allCases)
    func roundTrips(algorithm: CompressionAlgorithm, payload: Payload) throws {
        let codec = FrameBodyCodec(algorithm)
        for size in Self.sizes {
            let input = payload.bytes(count: size)
            let compressed = codec.compress(input)
            #expect(try codec.decompress(compressed) == input, "\(algorithm) \(payload) \(size)")
            // It must actually compress, not just round-trip (100 bytes holds barely one repeat).
            if payload == .compressible && size >= 100 {
                let bound = size >= 64 << 10 ? input.count / 4 : input.count
                #expect(compressed.count < bound, "\(algorithm) \(size): \(compressed.count) bytes")
            }
        }
    }

    @Test(arguments: CompressionAlgorithm.allCases)
    func compressAppendsAfterExistingBytes(algorithm: CompressionAlgorithm) throws {
        let codec = FrameBodyCodec(algorithm)
        let input = Payload.compressible.bytes(count: 1000)
        let header: [UInt8] = [0x84, 0x01, 0x00, 0x07, 0x08]
        var out = header
        input.withUnsafeBytes { codec.compress($0, into: &out) }
        #expect(Array(out.prefix(header.count)) == header)
        #expect(try codec.decompress(Array(out.dropFirst(header.count))) == input)
    }

    @Test func lz4PrefixIsBigEndianUncompressedLength() {
        let compressed = FrameBodyCodec(.lz4).compress(Payload.random.bytes(count: 0x01_02_03))
        #expect(Array(compressed.prefix(4)) == [0x00, 0x01, 0x02, 0x03])
    }

    @Test func decompressionAtExactlyTheLimitIsAllowed() throws {
        let input = Payload.compressible.bytes(count: 4096)
        for algorithm in CompressionAlgorithm.allCases {
            let codec = FrameBodyCodec(algorithm)
            #expect(try codec.decompress(codec.compress(input), maxLength: 4096) == input)
        }
    }

    @Test func startupNames() {
        #expect(CompressionAlgorithm(startupName: "lz4") == .lz4)
        #expect(CompressionAlgorithm(startupName: "LZ4") == .lz4)
        #expect(CompressionAlgorithm(startupName: "Snappy") == .snappy)
        #expect(CompressionAlgorithm(startupName: "zstd") == nil)
        #expect(CompressionAlgorithm(startupName: "") == nil)
        #expect(CompressionAlgorithm.lz4.rawValue == "lz4" && CompressionAlgorithm.snappy.rawValue == "snappy")
    }
}
