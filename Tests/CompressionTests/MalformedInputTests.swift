import Compression
import Testing

@Suite struct MalformedInputTests {
    let lz4 = FrameBodyCodec(.lz4)
    let snappy = FrameBodyCodec(.snappy)

    @Test func lz4TooShortForItsPrefix() {
        for body: [UInt8] in [[], [0], [0, 0, 0]] {
            #expect(throws: CompressionError.truncated(.lz4)) { try lz4.decompress(body) }
        }
    }

    /// Like the driver: a zero length with no block at all is not the encoding of an empty body.
    @Test func lz4ZeroLengthWithoutBlock() {
        #expect(throws: CompressionError.corrupt(.lz4)) { try lz4.decompress([0, 0, 0, 0]) }
    }

    @Test func lz4AnnouncedLengthAboveTheLimit() {
        let body = lz4.compress(Payload.compressible.bytes(count: 5000))
        #expect(throws: CompressionError.tooLarge(.lz4, announced: 5000, limit: 4999)) {
            try lz4.decompress(body, maxLength: 4999)
        }
        // 2 GB announced by a 9-byte body: rejected before any allocation.
        #expect(throws: CompressionError.tooLarge(.lz4, announced: 0x7FFF_FFFF, limit: frameLimit)) {
            try lz4.decompress([0x7F, 0xFF, 0xFF, 0xFF, 0x1F, 0x61, 0x01, 0x00, 0x00])
        }
    }

    @Test func lz4NegativeLength() {
        #expect(throws: CompressionError.corrupt(.lz4)) { try lz4.decompress([0x80, 0, 0, 1, 0x10, 0x61], maxLength: .max) }
    }

    /// Within the limit but beyond LZ4's 255:1 ratio: corrupt, and nothing allocated for it.
    @Test func lz4LengthImpossibleForTheBlockSize() {
        #expect(throws: CompressionError.corrupt(.lz4)) { try lz4.decompress([0x00, 0x10, 0x00, 0x00, 0x1F, 0x61, 0x01, 0x00]) }
    }

    @Test func lz4WrongAnnouncedLength() {
        let input = Payload.compressible.bytes(count: 1000)
        var body = lz4.compress(input)
        body[3] &+= 1  // 1001: the block ends one byte short
        #expect(throws: CompressionError.corrupt(.lz4)) { try lz4.decompress(body) }
        body[3] &-= 2  // 999: the block overruns
        #expect(throws: CompressionError.corrupt(.lz4)) { try lz4.decompress(body) }
    }

    @Test func lz4TruncatedBlock() {
        let body = lz4.compress(Payload.compressible.bytes(count: 1000))
        for cut in [1, 2, body.count / 2, body.count - 5] {
            #expect(throws: CompressionError.corrupt(.lz4)) { try lz4.decompress(Array(body.dropLast(cut))) }
        }
    }

    @Test func snappyEmptyInput() {
        #expect(throws: CompressionError.truncated(.snappy)) { try snappy.decompress([]) }
    }

    @Test func snappyBadLengthVarint() {
        // Six continuation bytes: longer than a uint32 varint can be.
        #expect(throws: CompressionError.corrupt(.snappy)) { try snappy.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) }
    }

    @Test func snappyAnnouncedLengthAboveTheLimit() {
        let body = snappy.compress(Payload.compressible.bytes(count: 5000))
        #expect(throws: CompressionError.tooLarge(.snappy, announced: 5000, limit: 4999)) {
            try snappy.decompress(body, maxLength: 4999)
        }
        // Varint 0xFFFFFFFF (4 GiB - 1) announced by a 7-byte body.
        #expect(throws: CompressionError.tooLarge(.snappy, announced: 0xFFFF_FFFF, limit: frameLimit)) {
            try snappy.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x61])
        }
    }

    @Test func snappyLengthImpossibleForTheBodySize() {
        // Announces 1 MiB (varint 80 80 40) with a 2-byte literal.
        #expect(throws: CompressionError.corrupt(.snappy)) { try snappy.decompress([0x80, 0x80, 0x40, 0x00, 0x61]) }
    }

    @Test func snappyWrongAnnouncedLength() throws {
        // "ab" as a literal, announced as 3 then as 1 byte.
        #expect(try snappy.decompress([0x02, 0x04, 0x61, 0x62]) == Array("ab".utf8))
        #expect(throws: CompressionError.corrupt(.snappy)) { try snappy.decompress([0x03, 0x04, 0x61, 0x62]) }
        #expect(throws: CompressionError.corrupt(.snappy)) { try snappy.decompress([0x01, 0x04, 0x61, 0x62]) }
    }

    @Test func snappyTruncatedBlock() {
        let body = snappy.compress(Payload.compressible.bytes(count: 1000))
        for cut in [1, 2, body.count / 2, body.count - 3] {
            #expect(throws: CompressionError.corrupt(.snappy)) { try snappy.decompress(Array(body.dropLast(cut))) }
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(CompressionError.tooLarge(.lz4, announced: 10, limit: 5).description == "lz4: uncompressed length 10 exceeds the limit of 5 bytes")
        #expect(CompressionError.corrupt(.snappy).description == "snappy: corrupt compressed body")
    }
}
