import Compression
import Testing

/// Bytes produced by the DataStax Python driver 3.30.1's own codecs (`cassandra.connection.
/// locally_supported_compressions`, with lz4 4.4.5 and python-snappy 0.7.3) for `goldenInput`.
@Suite struct GoldenTests {
    static let goldenInput = Array("SELECT * FROM ks.t WHERE k = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'".utf8)

    // int32 big-endian 71, then the LZ4 block (the driver flips python-lz4's little-endian prefix).
    static let driverLZ4 = bytes(hex: "00000047ff1053454c454354202a2046524f4d206b732e74205748455245206b203d202761010010506161616127")
    static let driverSnappy = bytes(hex: "477853454c454354202a2046524f4d206b732e74205748455245206b203d2027619a01000027")

    @Test func decodesTheDriversLZ4() throws {
        #expect(try FrameBodyCodec(.lz4).decompress(Self.driverLZ4) == Self.goldenInput)
    }

    @Test func decodesTheDriversSnappy() throws {
        #expect(try FrameBodyCodec(.snappy).decompress(Self.driverSnappy) == Self.goldenInput)
    }

    /// Byte-equal for this input with both Debian's lz4 1.9.4 and python-lz4's bundled copy.
    /// The driver decodes lz4 as: reverse the 4-byte prefix into python-lz4's little-endian size, then
    /// decode a plain LZ4 block. So ours must carry a big-endian prefix and a plain block after it.
    /// Byte-equal too: python-lz4 4.4.5 bundles lz4 1.9.4, the version Debian ships.
    @Test func ourLZ4MatchesTheDriversLayout() {
        let ours = FrameBodyCodec(.lz4).compress(Self.goldenInput)
        #expect(Array(ours.prefix(4)) == [0, 0, 0, 71])
        #expect(ours == Self.driverLZ4)
    }

    @Test func ourSnappyMatchesTheDriver() {
        #expect(FrameBodyCodec(.snappy).compress(Self.goldenInput) == Self.driverSnappy)
    }

    /// Empty bodies: the driver encodes them as `00000000 00` (lz4) and `00` (snappy) and decodes those
    /// back to nothing (it never sets the compressed flag on an empty body itself).
    @Test func emptyBodies() throws {
        #expect(FrameBodyCodec(.lz4).compress([]) == [0, 0, 0, 0, 0])
        #expect(FrameBodyCodec(.snappy).compress([]) == [0])
        #expect(try FrameBodyCodec(.lz4).decompress([0, 0, 0, 0, 0]) == [])
        #expect(try FrameBodyCodec(.snappy).decompress([0]) == [])
    }
}
